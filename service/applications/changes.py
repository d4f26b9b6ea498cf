"""Changes to what a case is paid, proposed by a task and approved by the county.

A task may declare a field of ``service.money.MONEY_FIELDS`` (the parents who receive the
yearly benefit, the card it is paid to). What it records is a proposal: the flow sees
``changes_money`` and routes it to a county approver, and only that approval writes the value
into the case, where payouts read it. Nothing else writes these columns after submission.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import User
from service.errors import InvalidInput
from service.masking import mask_card
from service.money import MONEY_FIELDS


def approved_values(case: Application) -> dict[str, Any]:
    """What the county approved: the case's own columns."""
    return {name: getattr(case, name) for name in MONEY_FIELDS}


def parents_on_record(case: Application) -> int:
    """The parents the case names: the applicant, and the spouse if any."""
    return 2 if case.spouse_id_number else 1


def check_proposal(case: Application, proposed: dict[str, Any]) -> None:
    """A proposal the county could approve at all: no more parents than the case names."""
    parents = proposed.get("eligible_parents")
    if parents is not None and parents > parents_on_record(case):
        limit = parents_on_record(case)
        raise InvalidInput(
            f"eligible_parents is at most {limit}: the parents this case names",
            field="data.eligible_parents",
            code="eligible-parents-above-record",
            params={"max": limit},
        )


def shown(values: dict[str, Any]) -> dict[str, Any]:
    """Values as the trail keeps them: the card masked."""
    return {
        name: mask_card(value) if name == "bank_card" else value for name, value in values.items()
    }


def apply_approved(
    session: AsyncSession,
    *,
    case: Application,
    proposed: dict[str, Any],
    actor: User,
    role: str,
    task_id: int | None,
) -> None:
    """The county approved the case with ``proposed`` standing: write it into the case."""
    if not proposed:
        return
    check_proposal(case, proposed)
    before = {name: getattr(case, name) for name in proposed}
    for name, value in proposed.items():
        setattr(case, name, value)
    session.add(case)
    audit_service.record(
        session,
        action="payment_terms_changed",
        actor=actor,
        role=role,
        region=case.village_code,
        application_id=case.id,
        task_id=task_id,
        before=shown(before),
        after=shown(proposed),
    )
