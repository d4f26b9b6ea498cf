"""平安保障 insurance batches: list the year's enrolled households, approve, pay the insurer,
record each household's policy.

The county's finance officer makes the year's batch (投保清单) of the households enrolled in
the plan's program and not yet insured that year, each checked by the plan's eligibility
table; a county approver who did not make it approves (or rejects) it; approval turns each
household's premium into a payout to the insurer (payee ``insurer``, one per household and
year: the payouts' unique key), paid through the bank batches like any payout; the finance
officer records the insurer's policy number per household. A household enrolled after the
year's batch was made joins a supplementary batch of the same year (or the next year's).
Every change is one transaction with its audit events; a repeated request changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, exists, not_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service import idempotency
from service.applications.models import ENROLLED, Application
from service.audit import service as audit_service
from service.auth.models import COUNTY_APPROVER, FINANCE_OFFICER, User
from service.clock import local_today, utcnow
from service.errors import Conflict, Forbidden, InvalidInput, SeparationOfDuties
from service.insurance import plans
from service.insurance.models import (
    BATCH_APPROVED,
    BATCH_MADE,
    BATCH_REJECTED,
    POLICY_APPROVED,
    POLICY_DROPPED,
    POLICY_LISTED,
    InsuranceBatch,
    InsurancePolicy,
)
from service.insurance.plans import Plan
from service.insurance.schemas import (
    BatchRead,
    Candidate,
    Candidates,
)
from service.insurance.views import batch_read, get_visible
from service.masking import mask_id_number
from service.payouts.models import PAYEE_INSURER, PENDING, PayeeAccount, Payout

# Who does each step (the router gates the role; the service the level and the maker).
MAKER = FINANCE_OFFICER
APPROVER = COUNTY_APPROVER


def require_county(user: User, step: str) -> None:
    """Only a county-level user acts on a county's insurance batches."""
    if len(user.jurisdiction) != len(user.county):
        raise Forbidden(
            "insurance batches are the county's: a county-level user acts on them",
            code="insurance-county-only",
            params={"step": step},
        )


def _check_year(year: int) -> None:
    """This year's or next year's insurance: a past year's cover cannot be bought now."""
    this_year = local_today().year
    if not this_year <= year <= this_year + 1:
        raise InvalidInput(
            f"insurance is bought for this year or the next, not {year}",
            field="year",
            code="insurance-year-closed",
            params={"year": year, "first": this_year, "last": this_year + 1},
        )


def _insured_already(plan: Plan, year: int) -> ColumnElement[bool]:
    return exists().where(
        col(InsurancePolicy.application_id) == col(Application.id),
        col(InsurancePolicy.plan_code) == plan.code,
        col(InsurancePolicy.year) == year,
        col(InsurancePolicy.status) != POLICY_DROPPED,
    )


def facts(case: Application) -> dict[str, Any]:
    """What the plan's eligibility table reads of a household's case."""
    return {
        "program": case.program_code,
        "enrolled": case.status == ENROLLED,
        "event_kind": case.event_kind,
    }


async def _not_yet_insured(
    session: AsyncSession, plan: Plan, *, county: str, year: int
) -> list[Application]:
    """Households of the county enrolled in the plan's program, with no live policy of ``year``
    (ended and revoked enrolments are not ``enrolled``)."""
    statement = (
        select(Application)
        .where(
            Application.program_code == plan.for_program,
            Application.status == ENROLLED,
            col(Application.village_code).startswith(county),
            not_(_insured_already(plan, year)),
        )
        .order_by(col(Application.village_code), col(Application.id))
    )
    return list((await session.exec(statement)).all())


async def candidates(session: AsyncSession, *, user: User, plan_code: str, year: int) -> Candidates:
    """What a batch of ``year`` made now would list, with the table's verdict on each."""
    plan = plans.get(plan_code)
    require_county(user, "make")
    households = []
    for case in await _not_yet_insured(session, plan, county=user.county, year=year):
        eligible, reason = plan.decide(facts(case))
        households.append(
            Candidate(
                application_id=case.id or 0,
                applicant_name=case.applicant_name,
                applicant_id_number=mask_id_number(case.applicant_id_number) or "",
                village_code=case.village_code,
                enrolled_at=case.enrolled_at,
                eligible=eligible,
                reason=reason,
            )
        )
    return Candidates(plan=plan.code, year=year, due_on=plan.due_on(year), households=households)


def record_event(
    session: AsyncSession,
    action: str,
    *,
    user: User,
    role: str,
    batch: InsuranceBatch,
    case: Application | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> None:
    audit_service.record(
        session,
        action=action,
        actor=user,
        role=role,
        county=batch.county_code,
        region=case.village_code if case else batch.county_code,
        application_id=case.id if case else None,
        after={"batch_id": batch.id, "plan": batch.plan_code, "year": batch.year, **(after or {})},
        comment=comment,
    )


async def make_batch(session: AsyncSession, *, user: User, plan_code: str, year: int) -> BatchRead:
    """List the county's enrolled households not yet insured in ``year`` (the year's batch, or
    a supplementary one), for a county approver to approve."""
    assert user.id is not None
    plan = plans.get(plan_code)
    require_county(user, "make")
    _check_year(year)
    county = user.county
    waiting = await _batch_waiting(session, plan, county=county, year=year)
    if waiting is not None:
        raise Conflict(
            f"batch {waiting} of {year} awaits the county's approval: decide it first",
            code="insurance-batch-waiting",
            params={"batch_id": waiting, "year": year},
        )
    listed = [
        case
        for case in await _not_yet_insured(session, plan, county=county, year=year)
        if plan.decide(facts(case))[0]
    ]
    if not listed:
        raise Conflict(
            f"every enrolled household of the county is insured for {year} or listed already",
            code="insurance-nothing-to-insure",
            params={"year": year},
        )
    seq = await _next_seq(session, plan, county=county, year=year)
    batch = InsuranceBatch(
        plan_code=plan.code,
        county_code=county,
        year=year,
        seq=seq,
        status=BATCH_MADE,
        household_count=len(listed),
        premium_fen=plan.premium_fen,
        sum_insured_fen=plan.sum_insured_fen,
        total_fen=plan.premium_fen * len(listed),
        due_on=plan.due_on(year),
        made_by=user.id,
        made_at=utcnow(),
    )
    session.add(batch)
    try:
        await session.flush()
        for line_no, case in enumerate(listed, start=1):
            session.add(
                InsurancePolicy(
                    batch_id=batch.id or 0,
                    line_no=line_no,
                    application_id=case.id or 0,
                    plan_code=plan.code,
                    year=year,
                    premium_fen=plan.premium_fen,
                    sum_insured_fen=plan.sum_insured_fen,
                    status=POLICY_LISTED,
                )
            )
            record_event(
                session,
                "insurance_household_listed",
                user=user,
                role=MAKER,
                batch=batch,
                case=case,
                after={"line_no": line_no, "premium_fen": plan.premium_fen},
            )
        await session.flush()
    except IntegrityError:
        await audit_service.roll_back(session)
        raise Conflict(
            f"another batch of {year} was made meanwhile; reload",
            code="insurance-batch-made-meanwhile",
            params={"year": year},
        ) from None
    record_event(
        session,
        "insurance_batch_made",
        user=user,
        role=MAKER,
        batch=batch,
        after={"seq": seq, "households": len(listed), "total_fen": batch.total_fen},
    )
    return await _commit(session, batch)


async def _commit(session: AsyncSession, batch: InsuranceBatch) -> BatchRead:
    result = await batch_read(session, batch, with_policies=True)
    idempotency.stage(session, result)
    await audit_service.commit(session)
    return result


async def _batch_waiting(
    session: AsyncSession, plan: Plan, *, county: str, year: int
) -> int | None:
    statement = select(InsuranceBatch.id).where(
        InsuranceBatch.plan_code == plan.code,
        InsuranceBatch.county_code == county,
        InsuranceBatch.year == year,
        InsuranceBatch.status == BATCH_MADE,
    )
    return (await session.exec(statement)).first()


async def _next_seq(session: AsyncSession, plan: Plan, *, county: str, year: int) -> int:
    statement = select(func.coalesce(func.max(InsuranceBatch.seq), 0)).where(
        InsuranceBatch.plan_code == plan.code,
        InsuranceBatch.county_code == county,
        InsuranceBatch.year == year,
    )
    return int((await session.exec(statement)).one()) + 1


async def _take_decision(
    session: AsyncSession, *, user: User, batch: InsuranceBatch, status: str, comment: str | None
) -> None:
    """Move the batch out of ``made`` once: a concurrent or repeated decision gets 409."""
    moved = await session.exec(
        update(InsuranceBatch)
        .where(col(InsuranceBatch.id) == batch.id, col(InsuranceBatch.status) == BATCH_MADE)
        .values(status=status, decided_by=user.id, decided_at=utcnow(), comment=comment)
    )
    if moved.rowcount != 1:
        raise Conflict(
            f"insurance batch {batch.id} is {batch.status}, not awaiting a decision",
            code="insurance-batch-decided",
            params={"batch_id": batch.id, "status": batch.status},
        )
    await session.refresh(batch)


async def decide_batch(
    session: AsyncSession, *, user: User, batch_id: int, decision: str, comment: str | None
) -> BatchRead:
    """The county approver's decision: approve (the premiums become payouts to the insurer)
    or reject (the households may be listed again)."""
    require_county(user, "approve")
    batch = await get_visible(session, user=user, batch_id=batch_id)
    plan = plans.get(batch.plan_code)
    if batch.made_by == user.id:
        raise SeparationOfDuties(
            "the user who made an insurance batch does not approve it",
            code="insurance-batch-own",
            params={"batch_id": batch_id},
        )
    account = await session.get(PayeeAccount, plan.payee_account)
    if decision == "approve" and account is None:
        raise Conflict(
            f"the catalogue has no payee account {plan.payee_account!r}: add it under payees",
            code="insurance-payee-missing",
            params={"account": plan.payee_account},
        )
    status = BATCH_APPROVED if decision == "approve" else BATCH_REJECTED
    await _take_decision(session, user=user, batch=batch, status=status, comment=comment)
    role = APPROVER
    rows = (
        await session.exec(
            select(InsurancePolicy, Application)
            .join(Application, col(Application.id) == InsurancePolicy.application_id)
            .where(InsurancePolicy.batch_id == batch.id)
            .order_by(col(InsurancePolicy.line_no))
        )
    ).all()
    for policy, case in rows:
        if decision == "approve" and plan.decide(facts(case))[0]:
            await _owe_premium(session, plan=plan, batch=batch, policy=policy, case=case, user=user)
        else:
            # Rejected, or the household left special assistance since it was listed.
            policy.status = POLICY_DROPPED
            session.add(policy)
            record_event(
                session,
                "insurance_household_dropped",
                user=user,
                role=role,
                batch=batch,
                case=case,
                after={"line_no": policy.line_no, "case_status": case.status},
            )
    record_event(
        session,
        f"insurance_batch_{status}",
        user=user,
        role=role,
        batch=batch,
        after={"seq": batch.seq, "households": batch.household_count},
        comment=comment,
    )
    return await _commit(session, batch)


async def _insert_payout(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert unless the household already owes the insurer for the year; the new id."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Payout)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["application_id", "period", "payee"])
        .returning(col(Payout.id))
    )
    return (await session.exec(statement)).scalar_one_or_none()


async def _owe_premium(
    session: AsyncSession,
    *,
    plan: Plan,
    batch: InsuranceBatch,
    policy: InsurancePolicy,
    case: Application,
    user: User,
) -> None:
    rule = {
        "rule": "insurance_premium",
        "plan": plan.code,
        "year": batch.year,
        "batch_id": batch.id,
        "premium_fen": policy.premium_fen,
        "sum_insured_fen": policy.sum_insured_fen,
        "amount_fen": policy.premium_fen,
    }
    payout_id = await _insert_payout(
        session,
        {
            "application_id": case.id,
            "period": str(batch.year),
            "payee": PAYEE_INSURER,
            "payee_account": plan.payee_account,
            "amount_fen": policy.premium_fen,
            "rule": rule,
            "status": PENDING,
            "created_at": utcnow(),
        },
    )
    if payout_id is None:
        await audit_service.roll_back(session)
        raise Conflict(
            f"case {case.id} already owes the insurer a premium for {batch.year}",
            code="insurance-premium-exists",
            params={"application_id": case.id, "year": batch.year},
        )
    policy.status = POLICY_APPROVED
    policy.payout_id = payout_id
    session.add(policy)
    record_event(
        session,
        "payout_pending",
        user=user,
        role=APPROVER,
        batch=batch,
        case=case,
        after={
            "payout_id": payout_id,
            "period": str(batch.year),
            "payee": PAYEE_INSURER,
            "payee_account": plan.payee_account,
            **rule,
        },
    )
