"""Personal API tokens: long-lived credentials for scripts, stored hashed, revocable.

Send one as ``Authorization: Bearer qt_...``. The secret is returned once, at creation.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from quire.core.db import utcnow
from quire.core.models import ApiToken
from quire.core.security import hash_api_token, new_api_token
from quire.web.api.common import NoNul
from quire.web.deps import CurrentUser, DbSession

router = APIRouter(prefix="/tokens", tags=["tokens"])


class NewApiToken(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=150), NoNul]
    # Days until the token stops working; none means it never expires.
    expires_in_days: int | None = Field(default=None, gt=0, le=3650)


class ApiTokenInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class CreatedApiToken(ApiTokenInfo):
    token: str


@router.get("/", response_model=list[ApiTokenInfo])
def list_tokens(user: CurrentUser, db: DbSession) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )


@router.post("/", response_model=CreatedApiToken, status_code=status.HTTP_201_CREATED)
def create_token(body: NewApiToken, user: CurrentUser, db: DbSession) -> CreatedApiToken:
    secret = new_api_token()
    expires_at = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    row = ApiToken(
        user_id=user.id,
        name=body.name,
        token_hash=hash_api_token(secret),
        token_prefix=secret[:10],
        expires_at=expires_at,
    )
    db.add(row)
    db.commit()
    return CreatedApiToken.model_validate(
        {**ApiTokenInfo.model_validate(row).model_dump(), "token": secret}
    )


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: uuid.UUID, user: CurrentUser, db: DbSession) -> None:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="token not found")
    db.delete(row)
    db.commit()
