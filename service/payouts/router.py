from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from service.auth.dependencies import require_acting_role, require_roles
from service.auth.models import ADMIN, AUDITOR, COUNTY_APPROVER, FINANCE_OFFICER, User
from service.config import get_settings
from service.errors import InvalidInput
from service.http import downloads, problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.idempotency import IdempotencyDep
from service.http.params import Cursor, FileFormatQuery, PathId, QueryId
from service.http.uploads import read_limited
from service.payouts import batches, yearly
from service.payouts import service as payouts_service
from service.payouts.schemas import (
    MAX_RESULT_LINES,
    BatchCreate,
    BatchPage,
    BatchRead,
    BatchResults,
    BatchStatus,
    LineResult,
    Payment,
    PayoutListItem,
    PayoutPage,
    ResultsOutcome,
    YearlyRequest,
    YearlyResult,
)
from service.rosters import persons as persons_roster
from service.settlement import service as settlement

router = APIRouter(
    prefix="/payouts", tags=["payouts"], responses=problems.responses(401, 403, 404, 409, 422)
)
Finance = Annotated[User, Depends(require_acting_role(FINANCE_OFFICER))]
Reader = Annotated[User, Depends(require_roles(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR, ADMIN))]


@router.get("", response_model=PayoutPage)
async def list_payouts(
    user: Reader,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|paid|cancelled)$")] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
    application_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PayoutPage:
    """Payouts in the caller's jurisdiction (one-time and yearly), newest first."""
    payouts = await payouts_service.list_payouts(
        session,
        user=user,
        status=status,
        period=period,
        application_id=application_id,
        limit=limit,
    )
    return PayoutPage(items=await payouts_service.items(session, payouts))


@router.post("/yearly", response_model=YearlyResult)
async def generate_yearly(
    body: YearlyRequest, user: Finance, session: WriteSessionDep
) -> YearlyResult:
    """Create the year's payouts of enrolled households (special assistance): each household's
    benefit to its card and the pension premium to the pension fund. A household whose review
    年审 of the year is missing or unfinished is listed, not paid. Safe to repeat."""
    run = await yearly.generate(session, year=body.year, region=user.jurisdiction, actor=user)
    return YearlyResult(**run.__dict__, awaiting_review=run.awaiting_review)


@router.post("/{payout_id}/pay", response_model=PayoutListItem)
async def pay(
    payout_id: PathId,
    body: Payment,
    user: Finance,
    session: WriteSessionDep,
    idempotent: IdempotencyDep,
) -> PayoutListItem | Response:
    """Record a yearly payout as paid to its payee (the household's card or the pension
    fund's account), with the bank's reference."""

    return await idempotent.run(
        session,
        payload=body,
        action=lambda: payouts_service.pay(
            session, user=user, payout_id=payout_id, reference=body.bank_reference
        ),
    )


# --- bank batches ------------------------------------------------------------------------------


@router.post("/batches", response_model=BatchRead, status_code=201)
async def create_batch(
    body: BatchCreate, user: Finance, session: WriteSessionDep, idempotent: IdempotencyDep
) -> BatchRead | Response:
    """Group the county's pending payouts to one payee (the households' cards by default, or
    the pension fund's account) that no open batch holds into one bank batch."""
    return await idempotent.run(
        session,
        payload=body,
        action=lambda: batches.create(
            session,
            user=user,
            program=body.program,
            period=body.period,
            payee=body.payee,
            account=body.payee_account,
        ),
        status_code=201,
    )


@router.get("/batches", response_model=BatchPage)
async def list_batches(
    user: Reader,
    session: SessionDep,
    status: BatchStatus | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BatchPage:
    """Bank batches of the caller's county, newest first, with their paid and failed tallies."""
    return await batches.list_batches(session, user=user, status=status, cursor=cursor, limit=limit)


@router.get("/batches/{batch_id}", response_model=BatchRead)
async def get_batch(batch_id: PathId, user: Reader, session: SessionDep) -> BatchRead:
    """One batch with its lines (card numbers masked) and each line's result."""
    return await batches.get(session, user=user, batch_id=batch_id)


BANK_FILE_TYPES: dict[str, dict[str, object]] = {
    "text/csv": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
}


@router.get(
    "/batches/{batch_id}/bank-file",
    response_class=Response,
    responses={200: {"content": BANK_FILE_TYPES, "description": "the file for the bank"}},
)
async def bank_file(
    batch_id: PathId,
    user: Finance,
    session: WriteSessionDep,
    file_format: FileFormatQuery = "csv",
) -> Response:
    """The lines awaiting the bank, with full card numbers and a totals row (audited)."""
    content, media_type, name = await batches.bank_file(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)  # no-store: SecurityHeaders


@router.get(
    "/batches/{batch_id}/roster",
    response_class=Response,
    responses={200: {"content": BANK_FILE_TYPES, "description": "the persons of the batch"}},
)
async def batch_roster(
    batch_id: PathId,
    user: Reader,
    session: SessionDep,
    file_format: FileFormatQuery = "xlsx",
) -> Response:
    """The person roster of a batch paid to an account (the pension fund's): one row per
    insured person with the line's reference; IDs masked."""
    content, media_type, name = await persons_roster.batch_roster(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)


RESULTS_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "lines": {
                            "type": "array",
                            "items": LineResult.model_json_schema(),  # no nested models
                            "minItems": 1,
                            "maxItems": MAX_RESULT_LINES,
                        }
                    },
                    "required": ["lines"],
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        }
    }
}


async def _results_of(request: Request) -> list[LineResult]:
    """JSON ``{lines: [...]}``, or the bank's result file (CSV) as multipart ``file``."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "upload the bank's result file as 'file'", field="file", code="result-file-missing"
            )
        limit = get_settings().max_upload_bytes
        content = await read_limited(upload, limit=limit, field="file", what="result files")
        return settlement.parse_result_file(content)
    try:
        return BatchResults.model_validate_json(await request.body()).lines
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


@router.post(
    "/batches/{batch_id}/results", response_model=ResultsOutcome, openapi_extra=RESULTS_BODY
)
async def record_results(
    batch_id: PathId,
    request: Request,
    user: Finance,
    session: WriteSessionDep,
    idempotent: IdempotencyDep,
) -> ResultsOutcome | Response:
    """The bank's result per line: paid lines pay (the payout task completes), failed lines
    go back to pending with the reason. Posting the same results again changes nothing; with
    an ``Idempotency-Key`` it also answers what the first post answered."""
    results = await _results_of(request)
    # Each line is a transaction of its own: the key is recorded after the last one.
    return await idempotent.run(
        session,
        payload=results,
        action=lambda: settlement.record_results(
            session, user=user, batch_id=batch_id, results=results
        ),
        staged=False,
    )
