"""Which cases a user sees: those of villages inside the user's jurisdiction (its code is a
prefix of theirs: village ⊂ township ⊂ county). Every read of a case, and of what belongs to
one (payouts, recoveries, the trail), goes through these."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import User
from service.errors import NotFound


def visible_to(user: User) -> ColumnElement[bool]:
    """The one jurisdiction filter every case read goes through."""
    return col(Application.village_code).startswith(user.jurisdiction)


async def get_visible(session: AsyncSession, *, user: User, application_id: int) -> Application:
    statement = select(Application).where(Application.id == application_id, visible_to(user))
    case = (await session.exec(statement)).first()
    if case is None:
        raise NotFound(
            f"no case {application_id}",
            code="case-not-found",
            params={"application_id": application_id},
        )
    return case
