from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile

from service.auth.dependencies import require_acting_role, require_roles
from service.auth.models import ADMIN, AUDITOR, COUNTY_APPROVER, FINANCE_OFFICER, User
from service.config import get_settings
from service.http import downloads, problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.idempotency import IdempotencyDep
from service.http.params import FileFormatQuery, PathId
from service.http.uploads import read_limited
from service.insurance import files as insurance_files
from service.insurance import policies as insurance_policies
from service.insurance import service as insurance_service
from service.insurance import views as insurance_views
from service.insurance.schemas import (
    DEFAULT_PLAN,
    BatchCreate,
    BatchDecision,
    BatchPage,
    BatchRead,
    Candidates,
    PlanRead,
    PoliciesRecorded,
    PolicyNumbers,
)

router = APIRouter(
    prefix="/insurance", tags=["insurance"], responses=problems.responses(401, 403, 404, 409, 422)
)
Reader = Annotated[User, Depends(require_roles(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR, ADMIN))]
Maker = Annotated[User, Depends(require_acting_role(FINANCE_OFFICER))]
Approver = Annotated[User, Depends(require_acting_role(COUNTY_APPROVER))]
Year = Annotated[int, Query(ge=2000, le=2100)]
PLAN = r"^[a-z][a-z0-9_]{0,63}$"
PlanQuery = Annotated[str, Query(pattern=PLAN)]
PlanPath = Annotated[str, Path(pattern=PLAN)]


@router.get("/plans/{code}", response_model=PlanRead)
async def get_plan(code: PlanPath, user: Reader) -> dict[str, Any]:
    """An insurance plan of the catalogue: premium, cover, payee, deadline, who does what."""
    return insurance_views.plan_read(code)


@router.get("/households", response_model=Candidates)
async def households(
    year: Year, user: Maker, session: SessionDep, plan: PlanQuery = DEFAULT_PLAN
) -> Candidates:
    """Enrolled households of the caller's county not yet insured in ``year`` (who a batch
    made now would list), with the eligibility table's verdict on each."""
    return await insurance_service.candidates(session, user=user, plan_code=plan, year=year)


@router.post("/batches", response_model=BatchRead, status_code=201)
async def make_batch(
    body: BatchCreate, user: Maker, session: WriteSessionDep, idempotent: IdempotencyDep
) -> BatchRead | Response:
    """Make the year's (or a supplementary) batch of the county's households to insure."""
    return await idempotent.run(
        session,
        payload=body,
        action=lambda: insurance_service.make_batch(
            session, user=user, plan_code=body.plan, year=body.year
        ),
        status_code=201,
    )


@router.get("/batches", response_model=BatchPage)
async def list_batches(
    user: Reader, session: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> BatchPage:
    """Insurance batches of the caller's county, newest first."""
    return BatchPage(items=await insurance_views.list_batches(session, user=user, year=year))


@router.get("/batches/{batch_id}", response_model=BatchRead)
async def get_batch(batch_id: PathId, user: Reader, session: SessionDep) -> BatchRead:
    """A batch with its households (ID numbers masked), policies and premiums."""
    return await insurance_views.get_batch(session, user=user, batch_id=batch_id)


@router.post("/batches/{batch_id}/decision", response_model=BatchRead)
async def decide_batch(
    batch_id: PathId,
    body: BatchDecision,
    user: Approver,
    session: WriteSessionDep,
    idempotent: IdempotencyDep,
) -> BatchRead | Response:
    """The county approver approves (premiums owed to the insurer) or rejects a batch."""
    return await idempotent.run(
        session,
        payload=body,
        action=lambda: insurance_service.decide_batch(
            session, user=user, batch_id=batch_id, decision=body.decision, comment=body.comment
        ),
    )


@router.post("/batches/{batch_id}/policies", response_model=PoliciesRecorded)
async def record_policies(
    batch_id: PathId,
    body: PolicyNumbers,
    user: Maker,
    session: WriteSessionDep,
    idempotent: IdempotencyDep,
) -> PoliciesRecorded | Response:
    """Record the insurer's policy number of each household of an approved batch."""
    return await idempotent.run(
        session,
        payload=body,
        action=lambda: insurance_policies.record_policies(
            session, user=user, batch_id=batch_id, numbers=body.policies
        ),
    )


FILE_TYPES = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}


@router.get(
    "/batches/{batch_id}/list",
    response_class=Response,
    responses={200: {"content": FILE_TYPES, "description": "the list for the insurer"}},
)
async def insured_list(
    batch_id: PathId,
    user: Maker,
    session: WriteSessionDep,
    file_format: FileFormatQuery = "xlsx",
) -> Response:
    """The approved households for the insurer, with full resident IDs (audited)."""
    content, media_type, name = await insurance_files.insured_list(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)  # no-store: SecurityHeaders


@router.post("/batches/{batch_id}/policy-file", response_model=PoliciesRecorded)
async def record_policy_file(
    batch_id: PathId,
    file: Annotated[UploadFile, File()],
    user: Maker,
    session: WriteSessionDep,
) -> PoliciesRecorded:
    """The insurer's answer (CSV: 户编号, 保单号): each household's policy number."""
    limit = get_settings().max_upload_bytes
    content = await read_limited(file, limit=limit, field="file", what="policy files")
    numbers = insurance_files.parse_policy_file(content)
    return await insurance_policies.record_policies(
        session, user=user, batch_id=batch_id, numbers=numbers
    )
