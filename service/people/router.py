"""``/api/v1/people``: administrators manage the users of their county."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.people import service as people_service
from service.people.schemas import (
    Because,
    Deactivation,
    NewPerson,
    Person,
    PersonChanged,
    PersonUpdate,
)

router = APIRouter(
    prefix="/people", tags=["people"], responses=problems.responses(401, 403, 404, 409, 422)
)
Admin = Annotated[User, Depends(require_roles(ADMIN))]
UsernamePath = Annotated[str, Path(min_length=2, max_length=64)]


def _actor(user: User) -> people_service.Actor:
    return people_service.Actor(user)


def _changed(change: people_service.Change) -> PersonChanged:
    return PersonChanged(
        person=Person.of(change.user),
        tasks_handed_over=change.tasks_handed_over,
        one_time_password=change.one_time_password,
    )


@router.get("", response_model=list[Person])
async def list_people(
    user: Admin,
    session: SessionDep,
    active: bool | None = None,
    role: Annotated[str | None, Query(max_length=40)] = None,
) -> list[Person]:
    """The users of the caller's jurisdiction."""
    people = await people_service.list_people(session, actor=_actor(user), active=active, role=role)
    return [Person.of(person) for person in people]


@router.get("/{username}", response_model=Person)
async def read_person(username: UsernamePath, user: Admin, session: SessionDep) -> Person:
    return Person.of(
        await people_service.get_person(session, actor=_actor(user), username=username)
    )


@router.post("", status_code=201, response_model=PersonChanged)
async def create(body: NewPerson, user: Admin, session: WriteSessionDep) -> PersonChanged:
    """Add a user; the answer carries their one-time password (shown this once), which they
    must change at the first login."""
    change = await people_service.create(
        session,
        actor=_actor(user),
        username=body.username,
        full_name=body.full_name,
        roles=body.roles,
        jurisdiction=body.jurisdiction,
    )
    return _changed(change)


@router.patch("/{username}", response_model=PersonChanged)
async def update(
    username: UsernamePath, body: PersonUpdate, user: Admin, session: WriteSessionDep
) -> PersonChanged:
    """Change a user's roles, or move them to another region (with roles fitting its level).
    Their claimed tasks are released to the role's inbox, or handed to ``hand_to``."""
    actor = _actor(user)
    if body.jurisdiction is not None:
        change = await people_service.move(
            session,
            actor=actor,
            username=username,
            jurisdiction=body.jurisdiction,
            roles=body.roles,
            reason=body.reason,
            hand_to=body.hand_to,
        )
    else:
        change = await people_service.change_roles(
            session,
            actor=actor,
            username=username,
            roles=body.roles or [],
            reason=body.reason,
            hand_to=body.hand_to,
        )
    return _changed(change)


@router.post("/{username}/deactivate", response_model=PersonChanged)
async def deactivate(
    username: UsernamePath, body: Deactivation, user: Admin, session: WriteSessionDep
) -> PersonChanged:
    """The user can no longer log in; their tokens and console sessions stop within
    ``RELIEF_USER_CACHE_SECONDS``. Their claimed tasks are released or handed to ``hand_to``."""
    change = await people_service.deactivate(
        session, actor=_actor(user), username=username, reason=body.reason, hand_to=body.hand_to
    )
    return _changed(change)


@router.post("/{username}/reactivate", response_model=PersonChanged)
async def reactivate(
    username: UsernamePath, body: Because, user: Admin, session: WriteSessionDep
) -> PersonChanged:
    """The user may log in again, with a new one-time password to change at once."""
    change = await people_service.reactivate(
        session, actor=_actor(user), username=username, reason=body.reason
    )
    return _changed(change)


@router.post("/{username}/password-reset", response_model=PersonChanged)
async def reset_password(
    username: UsernamePath, body: Because, user: Admin, session: WriteSessionDep
) -> PersonChanged:
    """A new one-time password (shown this once) to change at the next login; every token and
    session of the user from before is refused."""
    change = await people_service.reset_password(
        session, actor=_actor(user), username=username, reason=body.reason
    )
    return _changed(change)
