"""``POST /api/token``: username and password in, signed access token out (upstream auth-server).

Failed logins are throttled so that guessing is slow, without handing an attacker the power to
lock the owner out (the old rule, five failures and the account is shut for everyone, let anyone
shut the admin out by typing five wrong passwords). The policy, after OWASP's authentication
cheat sheet, Django-axes' per-(user, address) lock-out and fail2ban's per-address bans:

- **Per account and address** (the pair): ``AUTH__FAILURES_BEFORE_BACKOFF`` (5) failures cost
  nothing; after the k-th the pair waits 2^(k-4) seconds (2, 4, 8, ...) from its last failure,
  at most ``AUTH__BACKOFF_MAX_SECONDS`` (3600). While it waits, every attempt of that pair, with
  the right password too, is a 429 with ``Retry-After``: otherwise waiting would be optional.
  After the wait the right password works, and a success forgets the pair's failures.
- **Per address**, over all accounts: past ``AUTH__MAX_FAILURES_PER_ADDRESS`` (20) failures the
  address itself backs off the same way, so one address cannot try a password on many accounts.
  IPv6 addresses count per /64, the block one subscriber gets.
- **Per account**, from everywhere: past ``AUTH__MAX_FAILURES_PER_ACCOUNT`` (100) failures (a
  spread-out attack), each address that has failed on the account backs off from its very first
  failure. The account itself is never shut: an address with no failures on it, the owner's
  elsewhere, gets its attempt at once, so lock-out cannot be used as a weapon.
- Failures count within ``AUTH__FAILURE_WINDOW_SECONDS`` (a day) and older rows are deleted.
  Nothing is stored but the failures' timestamps (``login_failures``: ``pair:``, ``addr:``,
  ``user:`` keys); the back-off is derived from them, so every web node sees the same state.
- An attempt is written down as a failure *before* the password is checked and taken back if it
  was right, so that a burst of parallel requests cannot all pass the check before any fails.
- The client address is ``web.client.client_address`` (``SECURITY__TRUSTED_PROXIES``).
- Every attempt is logged (``login succeeded / failed / throttled``, with username and address,
  never the password); unknown usernames are throttled and answered exactly like known ones.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from quire.core import audit
from quire.core.config import AuthSettings, Settings
from quire.core.db import utcnow
from quire.core.models import LoginFailure
from quire.core.security import create_access_token
from quire.core.users import authenticate
from quire.web.api.common import NoNul
from quire.web.client import client_address
from quire.web.deps import AppSettings, DbSession, user_scopes
from quire.web.session import set_session

router = APIRouter(tags=["auth"])
log = logging.getLogger(__name__)

# Deleting every expired row scans the table (it is indexed by key), so each process does it at
# most this often; the keys of the attempt at hand are pruned at every failure.
PRUNE_INTERVAL_SECONDS = 60.0
_KEY_LENGTH = 200  # login_failures.key


class UserCredentials(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=150), NoNul]
    password: str = Field(min_length=1, max_length=1024)
    # Accepted for compatibility with upstream clients; only the database provider exists.
    provider: str = "db"


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


async def _credentials(request: Request) -> UserCredentials:
    """JSON as upstream's clients send it, or an OAuth2 password form as Swagger's does."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            return UserCredentials.model_validate(await request.json())
        form = await request.form()
        return UserCredentials.model_validate(
            {"username": form.get("username"), "password": form.get("password")}
        )
    except (ValidationError, ValueError) as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="send a JSON body or a form with 'username' and 'password'",
        ) from exc


@dataclass(frozen=True)
class _Keys:
    pair: str
    address: str
    account: str

    @classmethod
    def of(cls, username: str, address: str) -> _Keys:
        name = username.lower()
        source = _throttled_source(address)
        # Cut to the column: only two >130-character names tried from one address could share.
        return cls(
            pair=f"pair:{source}|{name}"[:_KEY_LENGTH],
            address=f"addr:{source}",
            account=f"user:{name}",
        )

    def all(self) -> list[str]:
        return [self.pair, self.address, self.account]


def _throttled_source(address: str) -> str:
    """The address a counter belongs to: an IPv6 client owns its whole /64 and could rotate."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        return str(ip_network(f"{parsed}/64", strict=False))
    return address


def backoff_seconds(failures: int, free: int, cap: int) -> int:
    """The wait after ``failures`` failures of which ``free`` cost nothing: 2, 4, 8... up to cap."""
    if failures < free:
        return 0
    exponent = failures - free + 1
    return cap if exponent >= cap.bit_length() else min(2**exponent, cap)


def _seconds_to_wait(db: Session, auth: AuthSettings, keys: _Keys, now: datetime) -> float:
    """How long this account-and-address must still wait before its next attempt (0: none)."""
    since = now - timedelta(seconds=auth.failure_window_seconds)
    rows = db.execute(
        select(LoginFailure.key, func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.key.in_(keys.all()), LoginFailure.at > since)
        .group_by(LoginFailure.key)
    ).all()
    counts = {key: (count, last) for key, count, last in rows}
    account_failures = counts.get(keys.account, (0, None))[0]
    # An account under a spread-out attack: no free failures for anyone who has failed on it.
    pair_free = (
        1 if account_failures >= auth.max_failures_per_account else auth.failures_before_backoff
    )
    wait = 0.0
    for key, free in ((keys.pair, pair_free), (keys.address, auth.max_failures_per_address)):
        count, last = counts.get(key, (0, None))
        if last is not None:
            ends = last + timedelta(seconds=backoff_seconds(count, free, auth.backoff_max_seconds))
            wait = max(wait, (ends - now).total_seconds())
    return wait


def _record_attempt(db: Session, keys: _Keys) -> list[int]:
    """A failure until the password proves right; committed now so parallel attempts see it."""
    rows = [LoginFailure(key=key) for key in keys.all()]
    db.add_all(rows)
    db.flush()
    ids = [row.id for row in rows]
    db.commit()
    return ids


def _forget(db: Session, keys: _Keys, attempt: list[int]) -> None:
    """A success: this attempt was no failure, and the pair's earlier typos are forgiven.

    The address's and the account's earlier failures stay: an attacker must not be able to
    clear their address's count by signing in to an account of their own.
    """
    db.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt)))
    db.execute(delete(LoginFailure).where(LoginFailure.key == keys.pair))
    db.commit()


def _confirm_failure(
    request: Request, db: Session, auth: AuthSettings, keys: _Keys, attempt: list[int]
) -> None:
    """A wrong password: the back-off runs from now, the end of the (slow) password check."""
    now = utcnow()
    db.execute(update(LoginFailure).where(LoginFailure.id.in_(attempt)).values(at=now))
    expired = now - timedelta(seconds=auth.failure_window_seconds)
    db.execute(
        delete(LoginFailure).where(LoginFailure.key.in_(keys.all()), LoginFailure.at <= expired)
    )
    # Deleting every expired row scans the table, so once a minute is enough.
    state = request.app.state
    if time.monotonic() >= getattr(state, "login_failures_pruned_at", 0.0) + PRUNE_INTERVAL_SECONDS:
        state.login_failures_pruned_at = time.monotonic()
        db.execute(delete(LoginFailure).where(LoginFailure.at <= expired))
    db.commit()


def _throttled(username: str, address: str, wait: float) -> HTTPException:
    retry_after = max(1, math.ceil(wait))
    log.warning(
        "login throttled for %r from %s: retry after %d s",
        username,
        address,
        retry_after,
        extra={
            "event": "login.throttled",
            "username": username,
            "client_address": address,
            "retry_after": retry_after,
        },
    )
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=f"too many failed logins; try again in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


def sign_in(request: Request, db: Session, settings: Settings, username: str, password: str) -> str:
    """The access token for a username and password, throttled, logged and audited: what
    ``POST /api/token`` and the web UI's sign-in form both call. 401 or 429 otherwise."""
    address = client_address(request, settings.security)
    keys = _Keys.of(username, address)
    wait = _seconds_to_wait(db, settings.auth, keys, utcnow())
    if wait > 0:
        raise _throttled(username, address, wait)
    attempt = _record_attempt(db, keys)
    user = authenticate(db, username, password)
    fields = {"username": username, "client_address": address}
    if user is None:
        audit.record(
            db, audit.Action.LOGIN_FAILED, actor=audit.Actor(None, username), client=address
        )
        _confirm_failure(request, db, settings.auth, keys, attempt)
        log.warning(
            "login failed for %r from %s",
            username,
            address,
            extra={"event": "login.failed", **fields},
        )
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    audit.record(db, audit.Action.LOGIN, actor=audit.Actor(user.id, user.username), client=address)
    _forget(db, keys, attempt)
    log.info(
        "login succeeded for %r from %s",
        username,
        address,
        extra={"event": "login.succeeded", **fields},
    )
    return create_access_token(
        settings.security,
        user_id=user.id,
        username=user.username,
        email=user.email,
        scopes=sorted(user_scopes(user)),
    )


@router.post("/token", response_model=Token)
def login(
    credentials: Annotated[UserCredentials, Depends(_credentials)],
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
) -> Token:
    token = sign_in(request, db, settings, credentials.username, credentials.password)
    set_session(response, request, settings, token)
    return Token(access_token=token)
