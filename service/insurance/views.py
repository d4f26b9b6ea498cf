"""What a batch looks like to a reader: its households (ID numbers masked), their policies and
the payouts to the insurer."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import User
from service.config import get_settings
from service.errors import NotFound
from service.insurance import plans
from service.insurance.models import (
    POLICY_DROPPED,
    POLICY_INSURED,
    InsuranceBatch,
    InsurancePolicy,
)
from service.insurance.schemas import BatchRead, PolicyRead
from service.masking import mask_id_number
from service.money import amount_cny
from service.payouts.models import Payout


async def _username(session: AsyncSession, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return user.username if user else None


async def policies_of(session: AsyncSession, batch_id: int) -> list[PolicyRead]:
    rows = (
        await session.exec(
            select(InsurancePolicy, Application, Payout)
            .join(Application, col(Application.id) == InsurancePolicy.application_id)
            .outerjoin(Payout, col(Payout.id) == InsurancePolicy.payout_id)
            .where(InsurancePolicy.batch_id == batch_id)
            .order_by(col(InsurancePolicy.line_no))
        )
    ).all()
    return [
        PolicyRead(
            id=policy.id or 0,
            line_no=policy.line_no,
            application_id=policy.application_id,
            applicant_name=case.applicant_name,
            applicant_id_number=mask_id_number(case.applicant_id_number) or "",
            village_code=case.village_code,
            status=policy.status,
            premium_fen=policy.premium_fen,
            sum_insured_fen=policy.sum_insured_fen,
            policy_no=policy.policy_no,
            payout_id=policy.payout_id,
            payout_status=payout.status if payout else None,
            payee=payout.payee if payout else None,
            payee_account=payout.payee_account if payout else None,
            recorded_at=policy.recorded_at,
        )
        for policy, case, payout in rows
    ]


async def policies_of_case(session: AsyncSession, application_id: int) -> list[InsurancePolicy]:
    """A household's policies, newest year first, for its case page (the caller has checked
    the case is visible). A line dropped from a batch is left out: it never became a policy."""
    return list(
        (
            await session.exec(
                select(InsurancePolicy)
                .where(InsurancePolicy.application_id == application_id)
                .where(InsurancePolicy.status != POLICY_DROPPED)
                .order_by(col(InsurancePolicy.year).desc(), col(InsurancePolicy.id).desc())
            )
        ).all()
    )


async def batch_read(
    session: AsyncSession, batch: InsuranceBatch, *, with_policies: bool
) -> BatchRead:
    assert batch.id is not None
    policies = await policies_of(session, batch.id) if with_policies else []
    insured = (
        sum(1 for p in policies if p.status == POLICY_INSURED)
        if with_policies
        else len(
            (
                await session.exec(
                    select(InsurancePolicy.id).where(
                        InsurancePolicy.batch_id == batch.id,
                        InsurancePolicy.status == POLICY_INSURED,
                    )
                )
            ).all()
        )
    )
    known = plans.plans().get(batch.plan_code)
    made_on = batch.made_at.astimezone(ZoneInfo(get_settings().timezone)).date()
    return BatchRead(
        id=batch.id,
        plan_code=batch.plan_code,
        plan_name=known.name_zh if known else batch.plan_code,
        county_code=batch.county_code,
        year=batch.year,
        seq=batch.seq,
        kind="annual" if batch.seq == 1 else "supplementary",
        status=batch.status,
        household_count=batch.household_count,
        premium_fen=batch.premium_fen,
        sum_insured_fen=batch.sum_insured_fen,
        total_fen=batch.total_fen,
        total_cny=amount_cny(batch.total_fen),
        due_on=batch.due_on,
        late=batch.seq == 1 and made_on > batch.due_on,
        made_by=await _username(session, batch.made_by) or "",
        made_at=batch.made_at,
        decided_by=await _username(session, batch.decided_by),
        decided_at=batch.decided_at,
        comment=batch.comment,
        insured=insured,
        policies=policies,
    )


def visible_to(user: User) -> ColumnElement[bool]:
    """Batches of counties within the caller's jurisdiction (county level and above)."""
    return col(InsuranceBatch.county_code).startswith(user.jurisdiction)


async def get_visible(session: AsyncSession, *, user: User, batch_id: int) -> InsuranceBatch:
    statement = select(InsuranceBatch).where(InsuranceBatch.id == batch_id, visible_to(user))
    batch = (await session.exec(statement)).first()
    if batch is None:
        raise NotFound(
            f"no insurance batch {batch_id}",
            code="insurance-batch-not-found",
            params={"batch_id": batch_id},
        )
    return batch


async def list_batches(session: AsyncSession, *, user: User, year: int | None) -> list[BatchRead]:
    statement = select(InsuranceBatch).where(visible_to(user))
    if year is not None:
        statement = statement.where(InsuranceBatch.year == year)
    statement = statement.order_by(col(InsuranceBatch.id).desc()).limit(200)
    batches = (await session.exec(statement)).all()
    return [await batch_read(session, batch, with_policies=False) for batch in batches]


async def get_batch(session: AsyncSession, *, user: User, batch_id: int) -> BatchRead:
    batch = await get_visible(session, user=user, batch_id=batch_id)
    return await batch_read(session, batch, with_policies=True)


def plan_read(code: str) -> dict[str, Any]:
    plan = plans.get(code)
    return {
        name: getattr(plan, name)
        for name in (
            "code",
            "name_zh",
            "name_en",
            "for_program",
            "premium_fen",
            "sum_insured_fen",
            "payee_account",
            "deadline",
            "documents",
        )
    }
