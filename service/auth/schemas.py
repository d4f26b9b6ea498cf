from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    # An administrator set the password: every other call answers 403 until it is changed.
    must_change_password: bool = False


class PasswordChange(BaseModel):
    """The caller's current password and the new one (policy: service/auth/passwords.py)."""

    model_config = ConfigDict(extra="forbid")

    # Bounded well above the policy's 128, so an overlong new password gets the policy's
    # reason, while no body makes argon2 hash megabytes.
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)
