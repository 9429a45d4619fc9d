"""Password hashing (argon2), signed access tokens (JWT) and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from quire.core.config import SecuritySettings
from quire.core.db import utcnow

API_TOKEN_PREFIX = "qt_"

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` from now on (in this process).

    For the test suite, which makes thousands of accounts: argon2's defaults cost ~0.1-0.6 s
    a hash and a verify on purpose, which is the whole suite's time several times over. Hashes
    carry their parameters, so existing ones still verify, and ``needs_rehash`` upgrades them.
    """
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class AccessTokenClaims:
    user_id: uuid.UUID
    username: str
    expires_at: datetime


def create_access_token(
    settings: SecuritySettings, *, user_id: uuid.UUID, username: str, email: str, scopes: list[str]
) -> str:
    if settings.secret_key is None:
        raise RuntimeError("SECURITY__SECRET_KEY is not set")
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "user_id": str(user_id),
        "preferred_username": username,
        "username": username,
        "email": email,
        "scopes": scopes,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_expire_minutes),
    }
    return jwt.encode(
        payload, settings.secret_key.get_secret_value(), algorithm=settings.token_algorithm
    )


def decode_access_token(settings: SecuritySettings, token: str) -> AccessTokenClaims:
    """Verify the signature and expiry; only the configured algorithm is accepted."""
    if settings.secret_key is None:
        raise InvalidToken("server has no secret key")
    claims = _verified_claims(
        settings.secret_key.get_secret_value(), settings.token_algorithm, token
    )
    # A signature, once verified, stays so; the time does not stand still.
    if claims.expires_at <= utcnow():
        raise InvalidToken("Signature has expired")
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(secret_key: str, algorithm: str, token: str) -> AccessTokenClaims:
    """The claims of a token whose signature verifies, remembered by token.

    PyJWT's decoding is Python through and through: 0.2 ms a request, as much as loading the
    user (issue 16). Only tokens that verify are remembered (a raised error is not cached), and
    the key is part of the cache's key. Who the user is and what they may do is still read from
    the database on every request: a disabled account or a revoked right takes effect at once.
    """
    try:
        payload = jwt.decode(
            token, secret_key, algorithms=[algorithm], options={"require": ["sub", "exp"]}
        )
        return AccessTokenClaims(
            user_id=uuid.UUID(payload["sub"]),
            username=str(payload.get("preferred_username", "")),
            expires_at=datetime.fromtimestamp(payload["exp"]).astimezone(),
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    # The token carries 256 random bits, so a fast hash is enough: no dictionary can guess it.
    return hashlib.sha256(token.encode()).hexdigest()
