"""What ``/api/v1/people`` takes and shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.auth.models import User
from service.text import FreeText, Line

Username = Annotated[str, Field(min_length=2, max_length=64)]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]
Roles = Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=7)]
# Why an administrator changed someone's account: kept in the trail with the change.
Reason = Annotated[FreeText, Field(min_length=1, max_length=500)]


class Person(BaseModel):
    """A user as administrators see them: never a password or its hash."""

    username: str
    full_name: str
    roles: list[str]
    jurisdiction: str
    active: bool
    must_change_password: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> Person:
        return cls.model_validate(user, from_attributes=True)


class PersonChanged(BaseModel):
    """The user after a change; the claimed tasks released or handed over; a one-time
    password when the change issued one: shown this once, stored nowhere in clear."""

    person: Person
    tasks_handed_over: list[int]
    one_time_password: str | None = None


class NewPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    full_name: Annotated[Line, Field(min_length=1, max_length=100)]
    roles: Roles
    jurisdiction: RegionCode


class PersonUpdate(BaseModel):
    """Other roles, another region, or both (a move to another level needs roles fitting it).
    Claimed tasks of the user are released to the role's inbox, or handed to ``hand_to``."""

    model_config = ConfigDict(extra="forbid")

    roles: Roles | None = None
    jurisdiction: RegionCode | None = None
    reason: Reason
    hand_to: Username | None = None


class Deactivation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    hand_to: Username | None = None


class Because(BaseModel):
    """A change that needs only its reason (reactivation, password reset)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
