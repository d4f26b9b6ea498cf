"""平安保障 insurance batches in the console (/insurance): the year's batches and households
with their policy numbers; the finance officer makes a batch and records policy numbers, a
county approver approves or rejects it, an auditor reads.

Every action calls the service function the API's route calls (``service/insurance/router.py``)
behind the same roles; the page only reads forms and shows what the services answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile

from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import AUDITOR, COUNTY_APPROVER, FINANCE_OFFICER, User, acting_roles
from service.clock import local_today
from service.config import get_settings
from service.errors import InvalidInput
from service.http import downloads
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import FileFormatQuery, PathId
from service.http.uploads import read_limited
from service.insurance import files as insurance_files
from service.insurance import plans
from service.insurance import policies as insurance_policies
from service.insurance import service as insurance_service
from service.insurance import views as insurance_views
from service.insurance.schemas import DEFAULT_PLAN, BatchDecision, PolicyNumber, PolicyNumbers
from service.web import labels, reasons, sessions
from service.web.deps import page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Reader = Annotated[User, Depends(page_for(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR))]
Maker = Annotated[User, Depends(page_for(FINANCE_OFFICER))]
Approver = Annotated[User, Depends(page_for(COUNTY_APPROVER))]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]

# What the page calls a batch's and a household's status.
STATUSES = {
    "made": N_("Awaiting county approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "listed": N_("Listed"),
    "dropped": N_("Dropped"),
    "insured": N_("Insured"),
    "pending": N_("Premium not yet paid"),
    "paid": N_("Premium paid"),
    "cancelled": N_("Cancelled"),
}
KINDS = {"annual": N_("The year's batch"), "supplementary": N_("Supplementary batch")}


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    year: int | None,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    year = year or local_today().year
    plan = plans.get(DEFAULT_PLAN)
    listed = await insurance_views.list_batches(session, user=user, year=year)
    batches = [
        await insurance_views.get_batch(session, user=user, batch_id=batch.id) for batch in listed
    ]
    roles = acting_roles(user)
    county_level = len(user.jurisdiction) == len(user.county)
    candidates = (
        await insurance_service.candidates(session, user=user, plan_code=plan.code, year=year)
        if FINANCE_OFFICER in roles and county_level
        else None
    )
    context = {
        "plan": plan,
        "year": year,
        "years": [local_today().year, local_today().year + 1],
        "batches": batches,
        "candidates": candidates,
        "may_make": FINANCE_OFFICER in roles and county_level,
        "may_decide": COUNTY_APPROVER in roles and county_level,
        "me": user.username,
        "statuses": STATUSES,
        "kinds": KINDS,
        "labels": await labels.load(session, sessions.of(request).language),
        "errors": errors or {},
    }
    return render(request, "insurance.html", context, user=user, status_code=status_code)


async def case_context(session: AsyncSession, *, user: User, case: Application) -> dict[str, Any]:
    """The case page's 平安保障 section: the household's policies by year, with the insurer's
    policy number once recorded (what the village tells a family that asks), and a link to
    the batch for the roles that have the /insurance page."""
    assert case.id is not None
    return {
        "insurance_policies": await insurance_views.policies_of_case(session, case.id),
        "insurance_statuses": STATUSES,
        "insurance_page": bool(acting_roles(user) & {FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR}),
    }


@router.get("/insurance")
async def insurance(
    request: Request, user: Reader, session: SessionDep, year: YearQuery = None
) -> Response:
    return await _page(request, session, user, year)


def _year_of(value: object) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) == 4 else None


@router.post("/insurance/batches")
async def make_batch(request: Request, user: Maker, session: WriteSessionDep) -> Response:
    """The year's (or a supplementary) batch of the county's households to insure."""
    year = _year_of((await request.form()).get("year"))
    if year is None:
        errors = {"make": N_("Give a year (four digits).")}
        return await _page(request, session, user, None, status_code=422, errors=errors)
    await insurance_service.make_batch(session, user=user, plan_code=DEFAULT_PLAN, year=year)
    sessions.of(request).tell(N_("Insurance batch made"))
    return redirect(request, f"/insurance?year={year}")


@router.post("/insurance/batches/{batch_id}/decision")
async def decide_batch(
    batch_id: PathId, request: Request, user: Approver, session: WriteSessionDep
) -> Response:
    """Approve the batch (premiums owed to the insurer) or reject it with a reason."""
    form = await request.form()
    batch = await insurance_views.get_batch(session, user=user, batch_id=batch_id)
    try:
        body = BatchDecision.model_validate(
            {"decision": form.get("decision"), "comment": form.get("comment") or None}
        )
    except ValidationError:
        errors = {f"decide-{batch_id}": N_("Give the reason for rejecting the batch.")}
        return await _page(request, session, user, batch.year, status_code=422, errors=errors)
    await insurance_service.decide_batch(
        session, user=user, batch_id=batch_id, decision=body.decision, comment=body.comment
    )
    sessions.of(request).tell(
        N_("Insurance batch approved") if body.decision == "approve" else N_("Batch rejected")
    )
    return redirect(request, f"/insurance?year={batch.year}")


@router.post("/insurance/batches/{batch_id}/policies")
async def record_policies(
    batch_id: PathId, request: Request, user: Maker, session: WriteSessionDep
) -> Response:
    """The insurer's policy numbers typed in per household (fields policy-<case id>)."""
    form = await request.form()
    batch = await insurance_views.get_batch(session, user=user, batch_id=batch_id)
    key = f"policies-{batch_id}"
    try:
        numbers = [
            PolicyNumber(application_id=int(name.removeprefix("policy-")), policy_no=value.strip())
            for name, value in form.items()
            if name.startswith("policy-") and isinstance(value, str) and value.strip()
        ]
        body = PolicyNumbers(policies=numbers)
        await insurance_policies.record_policies(
            session, user=user, batch_id=batch_id, numbers=body.policies
        )
    except (ValidationError, ValueError):
        message = N_("Enter each policy number as the insurer printed it (letters, digits, -).")
        errors = {key: message}
        return await _page(request, session, user, batch.year, status_code=422, errors=errors)
    except InvalidInput as error:
        await audit_service.roll_back(session)
        errors = {key: reasons.say_error(error, sessions.of(request).language)}
        return await _page(request, session, user, batch.year, status_code=422, errors=errors)
    sessions.of(request).tell(N_("Policy numbers recorded"))
    return redirect(request, f"/insurance?year={batch.year}")


@router.get("/insurance/batches/{batch_id}/list", dependencies=[Depends(sessions.from_this_site)])
async def insured_list(
    batch_id: PathId,
    user: Maker,
    session: WriteSessionDep,
    file_format: FileFormatQuery = "xlsx",
) -> Response:
    """The list for the insurer, as the API's list route gives it (audited)."""
    content, media_type, name = await insurance_files.insured_list(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)  # no-store: SecurityHeaders


@router.post("/insurance/batches/{batch_id}/policy-file")
async def record_policy_file(
    batch_id: PathId, request: Request, user: Maker, session: WriteSessionDep
) -> Response:
    """The insurer's answer (CSV: 户编号, 保单号), as the API's policy-file route takes it."""
    form = await request.form(max_files=1, max_fields=10)
    batch = await insurance_views.get_batch(session, user=user, batch_id=batch_id)
    key = f"policies-{batch_id}"
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput(
                "choose the insurer's file", field="file", code="result-file-missing"
            )
        limit = get_settings().max_upload_bytes
        content = await read_limited(upload, limit=limit, field="file", what="policy files")
        numbers = insurance_files.parse_policy_file(content)
        await insurance_policies.record_policies(
            session, user=user, batch_id=batch_id, numbers=numbers
        )
    except InvalidInput as error:
        await audit_service.roll_back(session)
        errors = {key: reasons.say_error(error, sessions.of(request).language)}
        return await _page(request, session, user, batch.year, status_code=422, errors=errors)
    sessions.of(request).tell(N_("Policy numbers recorded"))
    return redirect(request, f"/insurance?year={batch.year}")
