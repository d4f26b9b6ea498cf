from __future__ import annotations

from pydantic import BaseModel


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: int
    username: str
    full_name: str
    roles: list[str]
    jurisdictions: list[str]
    jurisdiction_name: str | None = None
