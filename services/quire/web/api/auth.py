"""``POST /api/token``: username and password in, signed access token out (upstream auth-server).

Failed logins are throttled per account and per client address; the counters live in the
database so every web node sees the same ones.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from quire.core.config import AuthSettings
from quire.core.db import utcnow
from quire.core.models import LoginFailure
from quire.core.security import create_access_token
from quire.core.users import authenticate
from quire.web.deps import AppSettings, DbSession, user_scopes

router = APIRouter(tags=["auth"])


class UserCredentials(BaseModel):
    username: str = Field(min_length=1, max_length=150)
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


def _throttle_keys(request: Request, username: str) -> list[str]:
    """The account's key first, then the client address's."""
    address = request.client.host if request.client else "unknown"
    return [f"user:{username.lower()}", f"addr:{address}"]


def _check_throttle(db: Session, auth: AuthSettings, keys: list[str]) -> None:
    since = utcnow() - timedelta(seconds=auth.failure_window_seconds)
    limits = [auth.max_failures_per_account, auth.max_failures_per_address]
    for key, limit in zip(keys, limits, strict=True):
        failures = db.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at > since)
        )
        if failures is not None and failures >= limit:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail="too many failed logins; try again later",
                headers={"Retry-After": str(auth.failure_window_seconds)},
            )


def _record_failure(db: Session, auth: AuthSettings, keys: list[str]) -> None:
    expired = utcnow() - timedelta(seconds=auth.failure_window_seconds)
    db.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= expired))
    db.add_all(LoginFailure(key=key) for key in keys)
    db.commit()


@router.post("/token", response_model=Token)
def login(
    credentials: Annotated[UserCredentials, Depends(_credentials)],
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
) -> Token:
    keys = _throttle_keys(request, credentials.username)
    _check_throttle(db, settings.auth, keys)
    user = authenticate(db, credentials.username, credentials.password)
    if user is None:
        _record_failure(db, settings.auth, keys)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
    db.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
    db.commit()
    token = create_access_token(
        settings.security,
        user_id=user.id,
        username=user.username,
        email=user.email,
        scopes=sorted(user_scopes(user)),
    )
    response.set_cookie(
        settings.security.cookie_name,
        token,
        max_age=settings.security.token_expire_minutes * 60,
        httponly=True,
        samesite="lax",
    )
    return Token(access_token=token)
