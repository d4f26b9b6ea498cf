"""What a confirmed life event changes, inside the confirmation's transaction.

From ``event.from_year`` on (periods are years; a one-time payout is never touched):
- one of two eligible parents died: ``eligible_parents`` 2 → 1, recorded as the county's
  ``payment_terms_changed`` (as ``applications.changes.apply_approved`` does); each later
  payout loses the departed parent's share;
- the last eligible parent died, the household moved away, or the eligibility table refused the
  year: the enrolment ends (status ``ended``) and each later payout loses all of it.

A payout that loses all of its amount is cancelled while pending; one that loses a share is cut
to the rest. Whatever was already paid of what is lost opens a recovery 追回 (got back from the
payee it was paid to: the household's card, or the pension fund for a premium).

The household's share is the payout's amount over the parents its rule counts. The pension
premium paid on a person's behalf (payee ``pension_fund``, one ``payout_person`` line per
insured parent) loses that person's line: the county does not pay a dead person's premium for a
year after the death, and a premium already paid for it is got back from the fund. An
insurer's premium (平安保障, one policy per household) is left alone: the year's policy was
bought and runs to its end.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import changes, progress
from service.applications.models import ENDED, ENROLLED, IN_PROGRESS, Application, Review
from service.audit import service as audit_service
from service.auth.models import COUNTY_APPROVER, User
from service.clock import utcnow
from service.errors import Conflict, StaleTask
from service.life_events.models import APPLICANT, DEATH, MOVED_AWAY, SPOUSE, LifeEvent
from service.notifications import service as notifications_service
from service.payouts import models as payouts
from service.payouts import service as payouts_service
from service.payouts.models import LINE_OPEN, Payout, PayoutBatchLine, PayoutPerson
from service.recoveries import service as recoveries_service
from service.recoveries.models import OPEN, Recovery

WORDS = {DEATH: "扶助对象死亡", MOVED_AWAY: "迁出本县"}


async def settle(
    session: AsyncSession,
    *,
    case: Application,
    event: LifeEvent,
    dead_before: set[str],
    actor: User,
) -> dict[str, Any]:
    """Apply the confirmed ``event`` to ``case``; returns what it did (kept on the event)."""
    assert case.id is not None
    parents = case.eligible_parents or changes.parents_on_record(case)
    # One parent receiving and no death on record: a review took one off, and (as the
    # pension premium's insured persons read it) the applicant is the one who still receives;
    # the spouse's death then changes nothing that is paid.
    not_receiving = (
        event.kind == DEATH
        and event.person == SPOUSE
        and parents <= 1
        and not dead_before
        and bool(case.spouse_id_number)
    )
    ends = not not_receiving and (event.kind != DEATH or parents <= 1 or len(dead_before) >= 1)
    effects: dict[str, Any] = {"from_year": event.from_year, "ended": ends}
    if not_receiving:
        effects["not_receiving"] = True
        return effects
    later = [
        payout
        for payout in await payouts_service.of_case(session, case.id)
        if payout.period.isdigit()
        and int(payout.period) >= event.from_year
        and payout.status in (payouts.PENDING, payouts.PAID)
    ]
    await _refuse_if_at_the_bank(session, later)
    if ends:
        await _end_enrolment(session, case=case, event=event, actor=actor)
    else:
        await _lock(session, case)
        changes.apply_approved(
            session,
            case=case,
            proposed={"eligible_parents": parents - 1},
            actor=actor,
            role=COUNTY_APPROVER,
            task_id=None,
        )
        effects["eligible_parents"] = {"before": parents, "after": parents - 1}
    effects["reviews_ended"] = await _end_later_reviews(
        session, case=case, event=event, actor=actor
    )
    dead_id = _id_number_of(case, event.person) if event.kind == DEATH else None
    effects["payouts"] = [
        await _settle_payout(
            session, case=case, event=event, payout=p, ends=ends, dead_id=dead_id, actor=actor
        )
        for p in later
    ]
    return effects


def _id_number_of(case: Application, person: str | None) -> str | None:
    return case.applicant_id_number if person == APPLICANT else case.spouse_id_number


async def _refuse_if_at_the_bank(session: AsyncSession, later: list[Payout]) -> None:
    """A pending payout sent to the bank waits for the bank's answer: changing its amount now
    would pay one sum and record another."""
    pending = [p.id for p in later if p.status == payouts.PENDING]
    if not pending:
        return
    statement = select(PayoutBatchLine.payout_id).where(
        col(PayoutBatchLine.payout_id).in_(pending), PayoutBatchLine.status == LINE_OPEN
    )
    waiting = (await session.exec(statement)).first()
    if waiting is not None:
        raise Conflict(
            f"payout {waiting} is at the bank; confirm once the bank's result is recorded",
            code="life-event-payout-at-bank",
            params={"payout_id": waiting},
        )


async def _lock(session: AsyncSession, case: Application) -> None:
    locked = await session.exec(
        update(Application)
        .where(col(Application.id) == case.id, col(Application.version) == case.version)
        .values(version=case.version + 1, updated_at=utcnow())
    )
    if locked.rowcount != 1:
        raise StaleTask(
            "the case changed meanwhile; reload and try again", code="case-changed-meanwhile"
        )
    case.version += 1


async def _end_enrolment(
    session: AsyncSession, *, case: Application, event: LifeEvent, actor: User
) -> None:
    await progress.save_case_status(session, case=case, status=ENDED)
    await session.refresh(case)
    await notifications_service.status_changed(session, case=case, before=ENROLLED, status=ENDED)
    audit_service.record(
        session,
        action="enrolment_ended",
        actor=actor,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"status": ENROLLED},
        after={"status": ENDED, "life_event_id": event.id, "from_year": event.from_year},
    )


async def _end_later_reviews(
    session: AsyncSession, *, case: Application, event: LifeEvent, actor: User
) -> list[int]:
    """An annual review under way for a year no longer paid ends, its tasks with it."""
    statement = select(Review).where(
        Review.application_id == case.id,
        Review.status == IN_PROGRESS,
        col(Review.year) >= event.from_year,
    )
    ended = []
    for review in (await session.exec(statement)).all():
        await progress.end_review(session, review)
        assert review.id is not None
        ended.append(review.id)
        audit_service.record(
            session,
            action="review_ended",
            actor=actor,
            role=COUNTY_APPROVER,
            region=case.village_code,
            application_id=case.id,
            after={"review_id": review.id, "year": review.year, "life_event_id": event.id},
        )
    return ended


async def _lost(
    session: AsyncSession, payout: Payout, *, ends: bool, dead_id: str | None
) -> tuple[int, PayoutPerson | None]:
    """What the payout no longer owes, and the person's line it removes (a premium)."""
    if payout.payee == payouts.PAYEE_INSURER:
        return 0, None
    if ends:
        return payout.amount_fen, None
    if payout.payee == payouts.PAYEE_PENSION_FUND:
        lines = (
            await session.exec(select(PayoutPerson).where(PayoutPerson.payout_id == payout.id))
        ).all()
        for line in lines:
            if line.id_number == dead_id:
                return line.amount_fen, line
        if lines:
            return 0, None  # the dead parent was not insured in this payout
    parents = int(payout.rule.get("eligible_parents") or 1)
    return (payout.amount_fen // parents if parents > 1 else 0), None


async def _settle_payout(
    session: AsyncSession,
    *,
    case: Application,
    event: LifeEvent,
    payout: Payout,
    ends: bool,
    dead_id: str | None,
    actor: User,
) -> dict[str, Any]:
    lost, line = await _lost(session, payout, ends=ends, dead_id=dead_id)
    done: dict[str, Any] = {"payout_id": payout.id, "period": payout.period, "lost_fen": lost}
    if lost == 0:
        return done
    if payout.status == payouts.PENDING:
        done["action"] = await _reduce_pending(
            session, case=case, event=event, payout=payout, lost=lost, line=line, actor=actor
        )
    else:
        done["action"] = "recovered"
        done["recovery_id"] = await _recover(
            session, case=case, event=event, payout=payout, lost=lost, actor=actor
        )
    return done


async def _reduce_pending(
    session: AsyncSession,
    *,
    case: Application,
    event: LifeEvent,
    payout: Payout,
    lost: int,
    line: PayoutPerson | None,
    actor: User,
) -> str:
    """Cancel the payout, or cut it to what is still owed; conditional on it still pending
    (a payout paid meanwhile must be recovered, not silently changed)."""
    rest = payout.amount_fen - lost
    values: dict[str, Any] = {"status": payouts.CANCELLED}
    if rest > 0:
        parents = int(payout.rule.get("eligible_parents") or 2)
        rule = {**payout.rule, "amount_fen": rest, "life_event_id": event.id}
        if "eligible_parents" in payout.rule:
            rule["eligible_parents"] = parents - 1
        if line is not None and "insured_persons" in payout.rule:
            rule["insured_persons"] = int(payout.rule["insured_persons"]) - 1
        values = {"amount_fen": rest, "rule": rule}
    changed = await session.exec(
        update(Payout)
        .where(col(Payout.id) == payout.id, col(Payout.status) == payouts.PENDING)
        .values(**values)
    )
    if changed.rowcount != 1:
        raise StaleTask(
            "a payout of the case changed meanwhile; reload and try again",
            code="case-payouts-changed-meanwhile",
        )
    if line is not None:
        await session.exec(delete(PayoutPerson).where(col(PayoutPerson.id) == line.id))
    await session.refresh(payout)
    if rest == 0:
        payouts_service.record_event(
            session, "payout_cancelled", case=case, payout=payout, actor=actor, role=COUNTY_APPROVER
        )
        return "cancelled"
    audit_service.record(
        session,
        action="payout_amended",
        actor=actor,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"amount_fen": rest + lost},
        after={
            "payout_id": payout.id,
            "period": payout.period,
            "payee": payout.payee,
            "amount_fen": rest,
            "life_event_id": event.id,
        },
    )
    return "amended"


def _reason(event: LifeEvent, payout: Payout) -> str:
    what = WORDS.get(event.kind, "经年审不再符合条件")
    return (
        f"{what}（{event.event_date.isoformat()}）：{event.from_year}年度起停止发放，"
        f"追回{payout.period}年度已发放的款项（情况变化 #{event.id}）"
    )


async def _recover(
    session: AsyncSession,
    *,
    case: Application,
    event: LifeEvent,
    payout: Payout,
    lost: int,
    actor: User,
) -> int | None:
    """A recovery of what was paid and is no longer owed; a payout that has one (a parent's
    share, got back before the other parent died) owes the new amount on it too."""
    existing = (await session.exec(select(Recovery).where(Recovery.payout_id == payout.id))).first()
    if existing is None:
        recovery = await recoveries_service.open_for_payout(
            session,
            case=case,
            payout=payout,
            reason=_reason(event, payout),
            actor=actor,
            role=COUNTY_APPROVER,
            amount_fen=lost,
        )
        return recovery.id
    due = min(payout.amount_fen, existing.amount_due_fen + lost)
    await session.exec(
        update(Recovery)
        .where(col(Recovery.id) == existing.id)
        .values(amount_due_fen=due, status=OPEN, closed_at=None)
    )
    audit_service.record(
        session,
        action="recovery_increased",
        actor=actor,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"amount_due_fen": existing.amount_due_fen},
        after={"recovery_id": existing.id, "amount_due_fen": due, "life_event_id": event.id},
    )
    return existing.id
