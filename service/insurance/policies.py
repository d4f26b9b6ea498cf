"""The insurer's answer: each household's policy number, recorded on an approved batch."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import idempotency
from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import User
from service.clock import utcnow
from service.errors import Conflict, InvalidInput
from service.insurance.models import (
    BATCH_APPROVED,
    POLICY_APPROVED,
    POLICY_INSURED,
    InsurancePolicy,
)
from service.insurance.schemas import PoliciesRecorded, PolicyNumber
from service.insurance.service import MAKER, record_event, require_county
from service.insurance.views import get_visible


async def record_policies(
    session: AsyncSession, *, user: User, batch_id: int, numbers: list[PolicyNumber]
) -> PoliciesRecorded:
    """The insurer's policy number of each household of an approved batch. A number already
    recorded again is unchanged; another number for an insured household is refused."""
    require_county(user, "record_policies")
    batch = await get_visible(session, user=user, batch_id=batch_id)
    if batch.status != BATCH_APPROVED:
        raise Conflict(
            f"insurance batch {batch_id} is {batch.status}: policies follow approval",
            code="insurance-batch-not-approved",
            params={"batch_id": batch_id, "status": batch.status},
        )
    _refuse_repeats(numbers)
    rows = (
        await session.exec(
            select(InsurancePolicy, Application)
            .join(Application, col(Application.id) == InsurancePolicy.application_id)
            .where(
                InsurancePolicy.batch_id == batch.id,
                col(InsurancePolicy.status).in_((POLICY_APPROVED, POLICY_INSURED)),
            )
        )
    ).all()
    lines = {policy.application_id: (policy, case) for policy, case in rows}
    recorded = unchanged = 0
    for index, number in enumerate(numbers):
        found = lines.get(number.application_id)
        if found is None:
            raise InvalidInput(
                f"case {number.application_id} is no approved household of batch {batch_id}",
                field=f"policies.{index}.application_id",
                code="insurance-policy-not-in-batch",
                params={"application_id": number.application_id, "batch_id": batch_id},
            )
        policy, case = found
        if policy.policy_no == number.policy_no:
            unchanged += 1
            continue
        if policy.policy_no is not None:
            raise Conflict(
                f"case {case.id} has policy {policy.policy_no} already",
                code="insurance-policy-recorded",
                params={"application_id": case.id, "policy_no": policy.policy_no},
            )
        policy.policy_no = number.policy_no
        policy.status = POLICY_INSURED
        policy.recorded_by = user.id
        policy.recorded_at = utcnow()
        session.add(policy)
        recorded += 1
        record_event(
            session,
            "insurance_policy_recorded",
            user=user,
            role=MAKER,
            batch=batch,
            case=case,
            after={"line_no": policy.line_no, "policy_no": number.policy_no},
        )
    try:
        await session.flush()
    except IntegrityError:
        await audit_service.roll_back(session)
        raise Conflict(
            "a policy number is another household's already",
            code="insurance-policy-number-taken",
            params={"batch_id": batch_id},
        ) from None
    result = PoliciesRecorded(batch_id=batch_id, recorded=recorded, unchanged=unchanged)
    idempotency.stage(session, result)
    await audit_service.commit(session)
    return result


def _refuse_repeats(numbers: list[PolicyNumber]) -> None:
    seen: dict[int, int] = {}
    numbers_seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if number.application_id in seen or number.policy_no in numbers_seen:
            raise InvalidInput(
                f"line {index + 1} repeats a household or a policy number of an earlier line",
                field=f"policies.{index}",
                code="insurance-policy-repeated",
                params={"line": index + 1},
            )
        seen[number.application_id] = index
        numbers_seen[number.policy_no] = index
