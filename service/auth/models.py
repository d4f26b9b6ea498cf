from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

CASEWORKER = "caseworker"
VILLAGE_HEAD = "village_head"
TOWNSHIP_REVIEWER = "township_reviewer"
COUNTY_APPROVER = "county_approver"
FINANCE_OFFICER = "finance_officer"
AUDITOR = "auditor"
ADMIN = "admin"

# Roles that act in approval chains (lanes of a flow). Auditors and admins act on no case.
LANE_ROLES = (CASEWORKER, VILLAGE_HEAD, TOWNSHIP_REVIEWER, COUNTY_APPROVER, FINANCE_OFFICER)
VILLAGE_LEVEL_ROLES = (CASEWORKER, VILLAGE_HEAD)


class User(SQLModel, table=True):
    __tablename__ = "user_account"  # "user" is reserved on PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # A region code: the user sees and acts on cases in villages whose code starts with it.
    jurisdiction: str = Field(foreign_key="region.code", max_length=12)
    active: bool = True
    # Set when an administrator resets the password: the user must choose their own at the
    # next login before anything else (console and API alike).
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Logging out of the console ends every web session of the user started before this
    # instant (the session cookie itself is stateless; a copy of it would outlive the logout).
    sessions_ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.jurisdiction)

    @property
    def county(self) -> str:
        return self.jurisdiction[:6]


class LoginAttempt(SQLModel, table=True):
    """One password check at login (or of the current password on a change): who, from which
    client address, whether it matched, when. The login limits count these rows
    (service/auth/throttle.py), so every process and replica sees the same counts; the worker
    deletes failures once they leave the window and successes once they no longer make an
    address usual. Refused attempts (throttled before any check) are not rows."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
        Index("ix_login_attempt_succeeded_at", "succeeded", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)  # as typed (at most 64 characters): may be no user's
    address: str = Field(max_length=64)  # the client address (IPv6 at most 45 characters)
    succeeded: bool
    at: datetime = Field(sa_type=UTCDateTime)


def acting_roles(user: User) -> set[str]:
    """The roles a user may act in on cases. Auditors and administrators act on none, whatever
    other role they also hold: those who supervise or configure the chain do not work in it."""
    if {ADMIN, AUDITOR} & set(user.roles):
        return set()
    return set(user.roles)
