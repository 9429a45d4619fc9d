"""Request dependencies: the database session, the storage and the authenticated user.

A request is authenticated by its bearer token (a JWT or a personal API token), else its
session cookie, else, with ``AUTH__REMOTE`` and from a trusted proxy only, by the proxy's user
headers (``web/trusted_headers.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from functools import cache
from typing import Annotated, Any

import anyio
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import SecurityScopes
from sqlalchemy import Select, String, Uuid, bindparam, cast, func, select, union
from sqlalchemy.orm import Session, with_expression

from quire.core.audit import set_actor
from quire.core.config import Settings
from quire.core.db import Database, utcnow
from quire.core.models import ApiToken, RoleScope, User
from quire.core.models.users import groups_roles, users_groups, users_roles
from quire.core.proxy_users import proxy_user
from quire.core.scopes import ALL_SCOPES
from quire.core.security import (
    API_TOKEN_PREFIX,
    InvalidToken,
    decode_access_token,
    hash_api_token,
)
from quire.core.storage import Storage as FileStorage
from quire.web.session import check_csrf
from quire.web.trusted_headers import UnusableIdentity, proxy_identity


# async: FastAPI runs a plain def dependency in its thread pool, a hop per request for what
# only reads an attribute. The ones that reach the database stay plain defs.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session. async, as making a session touches no database: a plain ``def``
    generator would cost two trips to the thread pool (in and out).

    Closing ends a transaction left open with a rollback, a round trip on a server database,
    done in the thread pool. Otherwise (SQLite, or a PostgreSQL session that only read or has
    committed: ``core/db.py``) it is a few microseconds of local work, done here, as the trip to
    the pool and back costs 0.1-0.4 ms on these machines (issue 16)."""
    database: Database = request.app.state.db
    session = database.sessionmaker()
    try:
        yield session
    finally:
        if database.closes_locally(session):
            session.close()
        else:
            # Shielded: a client that hangs up must not leave the connection checked out.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close)


async def get_storage(request: Request) -> FileStorage:
    storage: FileStorage = request.app.state.storage
    return storage


DbSession = Annotated[Session, Depends(get_db)]
Storage = Annotated[FileStorage, Depends(get_storage)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def user_scopes(user: User, *, from_roles: bool = False) -> set[str]:
    """What the user may do: every scope for a superuser, else what its roles and its groups'
    roles grant: as computed with the user when a request authenticated it, or with
    ``from_roles`` (after a change to them in this session) from its relationships now."""
    if user.is_superuser:
        return set(ALL_SCOPES)
    if user.granted_scopes is not None and not from_roles:
        return set(user.granted_scopes.split())
    scopes = {scope for role in user.roles for scope in role.scopes}
    for group in user.groups:
        scopes.update(scope for role in group.roles for scope in role.scopes)
    return scopes


@cache
def authenticated_user_statement() -> Select[User]:
    """The user (``user_id``) with ``User.granted_scopes`` and ``User.granted_group_ids``
    loaded in the same statement: a request's authentication and authorisation in one
    statement, however many roles and groups.

    Built once: constructing it (a union, two subqueries, the option) and deriving its cache key
    cost more than running it, on every request (issue 16).
    """
    user_id = bindparam("user_id", type_=Uuid)
    roles = union(
        select(users_roles.c.role_id).where(users_roles.c.user_id == user_id),
        select(groups_roles.c.role_id)
        .join(users_groups, users_groups.c.group_id == groups_roles.c.group_id)
        .where(users_groups.c.user_id == user_id),
    )
    granted = (
        select(func.aggregate_strings(RoleScope.scope, " "))
        .where(RoleScope.role_id.in_(roles))
        .scalar_subquery()
    )
    groups = (
        select(func.aggregate_strings(cast(users_groups.c.group_id, String), " "))
        .where(users_groups.c.user_id == user_id)
        .scalar_subquery()
    )
    # "" rather than NULL for a user without roles or groups: None means "not loaded".
    scopes = with_expression(User.granted_scopes, func.coalesce(granted, ""))
    group_ids = with_expression(User.granted_group_ids, func.coalesce(groups, ""))
    return select(User).where(User.id == user_id).options(scopes, group_ids)


def authenticated_user(db: Session, user_id: uuid.UUID) -> User | None:
    return db.execute(authenticated_user_statement(), {"user_id": user_id}).scalar_one_or_none()


def bearer_token(request: Request, settings: Settings) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(settings.security.cookie_name)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def valid_api_token(db: Session, token: str) -> ApiToken | None:
    """The personal API token, if it exists and has not expired."""
    api_token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
    if api_token is None or (api_token.expires_at is not None and api_token.expires_at <= utcnow()):
        return None
    return api_token


def credential_verifies(database: Database, settings: Settings, token: str) -> bool:
    """Whether a bearer credential is genuine: a JWT's signature and expiry (no database), or
    an API token that exists and has not expired. Not whether its user may do anything."""
    if token.startswith(API_TOKEN_PREFIX):
        with database.session() as db:
            return valid_api_token(db, token) is not None
    try:
        decode_access_token(settings.security, token)
    except InvalidToken:
        return False
    return True


def _token_user(db: Session, token: str, settings: Settings) -> User | None:
    """The user of a bearer token or session cookie; 401 if it does not verify."""
    if token.startswith(API_TOKEN_PREFIX):
        api_token = valid_api_token(db, token)
        if api_token is None:
            raise _unauthorized("invalid or expired API token")
        now = utcnow()
        # Written at most once a minute, so tokens used in a loop do not write on every request.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            api_token.last_used_at = now
            db.commit()
        return authenticated_user(db, api_token.user_id)
    try:
        claims = decode_access_token(settings.security, token)
    except InvalidToken as exc:
        raise _unauthorized("invalid or expired token") from exc
    return authenticated_user(db, claims.user_id)


def _proxy_user(request: Request, db: Session, settings: Settings) -> User:
    """The user a trusted authenticating proxy names (``web/trusted_headers.py``); 401 if none."""
    try:
        identity = proxy_identity(request, settings)
    except UnusableIdentity as exc:
        raise _unauthorized(str(exc)) from exc
    if identity is None:
        raise _unauthorized("not authenticated")
    return proxy_user(db, identity.username, email=identity.email, group_names=identity.group_names)


async def get_current_user(
    security_scopes: SecurityScopes, request: Request, db: DbSession, settings: AppSettings
) -> User:
    """The signed-in user, holding the scopes the endpoint asks for (else 401 or 403).

    On SQLite a token or cookie is checked on the event loop: one local read (WAL: it never
    waits for a writer), shorter than the trip to the thread pool and back (issue 16). An API
    token (its last use is written) and a proxy's user (who may be created), and any check on
    a server database (a round trip), take the thread pool.
    """
    token = bearer_token(request, settings)
    database: Database = request.app.state.db
    if database.is_sqlite and token and not token.startswith(API_TOKEN_PREFIX):
        return _current_user(security_scopes.scopes, request, db, settings, token)
    return await anyio.to_thread.run_sync(
        _current_user, security_scopes.scopes, request, db, settings, token
    )


def _current_user(
    scopes: list[str], request: Request, db: Session, settings: Settings, token: str | None
) -> User:
    # A write signed in by the session cookie must carry the page's CSRF token (web/session.py).
    check_csrf(request, settings)
    user = _token_user(db, token, settings) if token else _proxy_user(request, db, settings)
    if user is None or not user.is_active:
        raise _unauthorized("invalid or expired token" if token else "this account is not active")
    missing = set(scopes) - user_scopes(user)
    if missing:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"missing scopes: {', '.join(sorted(missing))}"
        )
    # Whatever this request changes, the audit log says this user did it.
    set_actor(db, user)
    return user


def require(*scopes: str) -> Any:
    """``user: Annotated[User, require(NODE_VIEW)]``: authenticated and holding these scopes."""
    return Security(get_current_user, scopes=list(scopes))


CurrentUser = Annotated[User, Security(get_current_user)]
