"""Revocation 取消资格: fraud 弄虚作假骗取 or ineligibility found after county approval.

The county approver cancels the case with evidence, in one transaction: the workflow and any
yearly review end, nothing more is owed, and every payout already paid opens a recovery 追回.
The household's claim stays: a revoked household does not get to apply again by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import progress, storage
from service.applications.models import (
    APPROVED,
    ENDED,
    ENROLLED,
    HELD,
    IN_PROGRESS,
    NOTICE,
    PAID,
    REVOKED,
    Application,
    Document,
    Review,
)
from service.applications.schemas import REVOCATION_EVIDENCE
from service.audit import service as audit_service
from service.auth.models import COUNTY_APPROVER, User, acting_roles
from service.engine import Instance
from service.errors import Conflict, Forbidden, InvalidInput, StaleTask
from service.notices import service as notices_service
from service.notifications import service as notifications_service
from service.payouts import models as payouts
from service.payouts import service as payouts_service
from service.payouts.models import Payout
from service.programs.models import Program
from service.recoveries import service as recoveries_service
from service.regions import jurisdiction
from service.tasks.models import CANCELLED, READY, Task
from service.text import checked

# Only what the county approved can be revoked (on notice, held by an objection, owed, paid or
# enrolled); before that the county rejects instead.
REVOCABLE = (NOTICE, HELD, APPROVED, PAID, ENROLLED, ENDED)


@dataclass(frozen=True)
class Evidence:
    """One uploaded file proving the grounds of a revocation."""

    filename: str
    content: bytes


async def revoke(
    session: AsyncSession,
    *,
    user: User,
    application_id: int,
    reason: str,
    evidence: list[Evidence],
) -> Application:
    """Cancel a county-approved case: store the evidence, end its work, settle its payouts."""
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    reason, types = _check(case, user=user, reason=reason, evidence=evidence)
    assert case.id is not None
    before = case.status
    await progress.move(session, case, Instance.cancel, case=case, status=REVOKED)
    await notifications_service.status_changed(session, case=case, before=before, status=REVOKED)
    if before in (NOTICE, HELD):
        program = await session.get(Program, case.program_code)
        assert program is not None
        await notices_service.follow(
            session,
            case=case,
            program=program,
            before=before,
            status=REVOKED,
            instance=None,
            actor=user,
        )
    documents = await _store_evidence(session, user=user, case=case, evidence=evidence, types=types)
    await _end_open_work(session, application_id=case.id)
    # Recorded before the payouts' events, so the trail reads: revoked, then what it settled.
    audit_service.record(
        session,
        action="application_revoked",
        actor=user,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"status": before},
        after={
            "status": REVOKED,
            "evidence": [{"document_id": d.id, "sha256": d.sha256} for d in documents],
        },
        comment=reason,
    )
    await _settle_payouts(session, case=case, user=user, reason=reason)
    await audit_service.commit(session)
    await session.refresh(case)
    return case


def _check(
    case: Application, *, user: User, reason: str, evidence: list[Evidence]
) -> tuple[str, list[str]]:
    """The refusals, before anything changes; returns the reason and each file's type."""
    if COUNTY_APPROVER not in acting_roles(user):
        raise Forbidden(
            "only the county approver revokes a case", code="revocation-county-approver-only"
        )
    if case.status not in REVOCABLE:
        raise Conflict(
            f"a case that is {case.status} cannot be revoked; revocation cancels a case the "
            "county approved (before that, the county rejects it)",
            code="case-not-revocable",
            params={"application_id": case.id, "status": case.status},
        )
    reason = checked(reason.strip(), field="reason")
    if not reason:
        raise InvalidInput("the reason must not be blank", field="reason", code="reason-blank")
    if not evidence:
        raise InvalidInput(
            "at least one evidence file is required", field="evidence", code="evidence-required"
        )
    # Every file is checked before any is stored: one bad file refuses the whole request.
    return reason, [storage.sniff_content_type(item.content, field="evidence") for item in evidence]


async def _store_evidence(
    session: AsyncSession,
    *,
    user: User,
    case: Application,
    evidence: list[Evidence],
    types: list[str],
) -> list[Document]:
    assert user.id is not None
    assert case.id is not None
    documents = [
        storage.new_document(
            application_id=case.id,
            kind=REVOCATION_EVIDENCE,
            filename=item.filename,
            content=item.content,
            content_type=content_type,
            user_id=user.id,
        )
        for item, content_type in zip(evidence, types, strict=True)
    ]
    session.add_all(documents)
    await session.flush()
    return documents


async def _end_open_work(session: AsyncSession, *, application_id: int) -> None:
    """No task of the case stays in anyone's inbox, the yearly review's included, and a review
    under way ends with its own workflow cancelled (its optimistic lock, like the case's)."""
    await session.exec(
        update(Task)
        .where(col(Task.application_id) == application_id, col(Task.status) == READY)
        .values(status=CANCELLED)
    )
    reviews = await session.exec(
        select(Review).where(Review.application_id == application_id, Review.status == IN_PROGRESS)
    )
    for review in reviews.all():
        await progress.end_review(session, review)


async def _settle_payouts(
    session: AsyncSession, *, case: Application, user: User, reason: str
) -> None:
    """Pending money is no longer owed; paid money is to be got back.

    Every period counts (a one-time payout, or each year of a yearly benefit), which is why
    this does not use ``payouts_service.cancel_pending``: that one handles the one-time payout.
    """
    assert case.id is not None
    for payout in await payouts_service.of_case(session, case.id):
        if payout.status == payouts.PENDING:
            await _cancel_pending(session, case=case, payout=payout, user=user)
        elif payout.status == payouts.PAID:
            await recoveries_service.open_for_payout(
                session, case=case, payout=payout, reason=reason, actor=user, role=COUNTY_APPROVER
            )


async def _cancel_pending(
    session: AsyncSession, *, case: Application, payout: Payout, user: User
) -> None:
    # Conditional: a payout paid meanwhile (a yearly one is paid without the case's lock)
    # must open a recovery, not silently turn into "cancelled"; the revocation retries.
    cancelled = await session.exec(
        update(Payout)
        .where(col(Payout.id) == payout.id, col(Payout.status) == payouts.PENDING)
        .values(status=payouts.CANCELLED)
    )
    if cancelled.rowcount != 1:
        raise StaleTask(
            "a payout of the case changed meanwhile; reload and try again",
            code="case-payouts-changed-meanwhile",
        )
    payout.status = payouts.CANCELLED
    payouts_service.record_event(
        session, "payout_cancelled", case=case, payout=payout, actor=user, role=COUNTY_APPROVER
    )
