"""Payouts for the finance officer (/payouts): pending money, bank batches, recoveries.

Every action calls the service function the API's route calls (``service/payouts/router.py``,
``service/recoveries/router.py``) after the API's own role gate; the page only reads forms and
shows what the services answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData, UploadFile

from service.applications import service as applications_service
from service.audit import service as audit_service
from service.auth.models import FINANCE_OFFICER, User
from service.config import get_settings
from service.errors import InvalidInput
from service.http import downloads
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import FileFormatQuery, PathId
from service.http.uploads import read_limited
from service.money import fen_of_yuan
from service.payouts import batches
from service.payouts import service as payouts_service
from service.payouts.models import ONCE, PAYEE_HOUSEHOLD, PAYEES, PENDING
from service.payouts.schemas import BatchCreate, BatchRead, LineResult, Payment, ResultsOutcome
from service.recoveries import service as recoveries_service
from service.recoveries.schemas import PaymentCreate
from service.rosters import persons as persons_roster
from service.settlement import service as settlement
from service.tasks import service as tasks_service
from service.tasks.schemas import Decision
from service.web import labels, reasons, sessions
from service.web.deps import page_for
from service.web.errors import TITLES
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Finance = Annotated[User, Depends(page_for(FINANCE_OFFICER))]
PAGE_LIMIT = 500  # pending payouts and open recoveries read for the page
BATCH_LIMIT = 50  # the newest batches shown


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    outcome: ResultsOutcome | None = None,
) -> Response:
    pending = await payouts_service.list_payouts(
        session, user=user, status=PENDING, period=None, application_id=None, limit=PAGE_LIMIT
    )
    batch_page = await batches.list_batches(
        session, user=user, status=None, cursor=None, limit=BATCH_LIMIT
    )
    open_batches: dict[int, BatchRead] = {
        batch.id: await batches.get(session, user=user, batch_id=batch.id)
        for batch in batch_page.items
        if batch.status == "open"
    }
    in_line = {
        line.payout_id: line.reference
        for batch in open_batches.values()
        for line in batch.lines or []
        if line.status == "open"
    }
    # One-time payouts are paid by completing the case's payout task (as the API does).
    payout_tasks = {
        task.application_id: task.id
        for task in await tasks_service.inbox(session, user=user, limit=PAGE_LIMIT)
        if task.role == FINANCE_OFFICER
    }
    cases = await applications_service.places_of(
        session, user=user, ids={payout.application_id for payout in pending}
    )
    recoveries = await recoveries_service.list_recoveries(
        session, user=user, query=recoveries_service.RecoveryQuery(status="open", limit=PAGE_LIMIT)
    )
    language = sessions.of(request).language
    names = await labels.load(session, language)
    rows = [
        {
            "payout": payout,
            "village": cases.get(payout.application_id, ("", ""))[0],
            "program": cases.get(payout.application_id, ("", ""))[1],
            "line": in_line.get(payout.id or 0),
            "task_id": payout_tasks.get(payout.application_id) if payout.period == ONCE else None,
        }
        for payout in pending
    ]
    context = {
        "pending": rows,
        "pending_fen": sum(payout.amount_fen for payout in pending),
        "batches": batch_page.items,
        "open_batches": open_batches,
        "recoveries": recoveries,
        "labels": names,
        "errors": errors or {},
        "values": values or {},
        "outcome": outcome,
        "titles": TITLES,
        "payees": PAYEES,
        # A refused line's reason, in the page's language from its code and params.
        "say": lambda problem: reasons.say(
            problem.code, problem.params, language, names, status=problem.status
        ),
    }
    return render(request, "payouts.html", context, user=user, status_code=status_code)


@router.get("/payouts")
async def payouts(request: Request, user: Finance, session: SessionDep) -> Response:
    return await _page(request, session, user)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _messages(error: ValidationError) -> str:
    return "; ".join(str(item["msg"]) for item in error.errors())


# --- bank batches ------------------------------------------------------------------------------


@router.post("/payouts/batches")
async def create_batch(request: Request, user: Finance, session: WriteSessionDep) -> Response:
    """Group the county's pending payouts no open batch holds, optionally by program/period."""
    form = await request.form()
    values = {
        "program": _text(form, "program"),
        "period": _text(form, "period"),
        "payee": _text(form, "payee") or PAYEE_HOUSEHOLD,
    }
    try:
        body = BatchCreate(
            program=values["program"] or None,
            period=values["period"] or None,
            payee=values["payee"],  # checked by the model
        )
    except ValidationError as error:
        wrong = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        errors = (
            {"batch-payee": N_("Choose who the batch pays.")}
            if wrong == {"payee"}
            else {"batch-period": N_("Give a year (four digits), or choose one-time payouts.")}
        )
        return await _page(request, session, user, status_code=422, errors=errors, values=values)
    await batches.create(
        session, user=user, program=body.program, period=body.period, payee=body.payee
    )
    sessions.of(request).tell(N_("Bank batch created"))
    return redirect(request, "/payouts")


@router.get(
    "/payouts/batches/{batch_id}/bank-file", dependencies=[Depends(sessions.from_this_site)]
)
async def bank_file(
    batch_id: PathId,
    user: Finance,
    session: WriteSessionDep,
    file_format: FileFormatQuery = "csv",
) -> Response:
    """The file for the bank, as the API's bank-file route gives it (audited)."""
    content, media_type, name = await batches.bank_file(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)  # no-store: SecurityHeaders


@router.get("/payouts/batches/{batch_id}/roster")
async def batch_roster(
    batch_id: PathId,
    user: Finance,
    session: SessionDep,
    file_format: FileFormatQuery = "xlsx",
) -> Response:
    """The person roster of an account's batch, as the API's roster route gives it."""
    content, media_type, name = await persons_roster.batch_roster(
        session, user=user, batch_id=batch_id, file_format=file_format
    )
    return downloads.attachment(content, media_type, name)


async def _results_of(form: FormData) -> list[LineResult]:
    """The bank's result file (CSV) as ``file``, or one line marked paid or failed."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        limit = get_settings().max_upload_bytes
        content = await read_limited(upload, limit=limit, field="file", what="result files")
        return settlement.parse_result_file(content)
    if upload is not None and "reference" not in form:
        raise InvalidInput(
            "choose the bank's result file", field="file", code="result-file-missing"
        )
    try:
        return [
            LineResult.model_validate(
                {
                    "reference": _text(form, "reference"),
                    "status": _text(form, "status"),
                    "amount_fen": _text(form, "amount_fen"),
                    "bank_reference": _text(form, "bank_reference") or None,
                    "reason": _text(form, "reason") or None,
                }
            )
        ]
    except ValidationError as error:
        raise InvalidInput(
            _messages(error), field=_text(form, "reference") or "line", code="result-line-invalid"
        ) from None


@router.post("/payouts/batches/{batch_id}/results")
async def record_results(
    batch_id: PathId, request: Request, user: Finance, session: WriteSessionDep
) -> Response:
    """The bank's results: paid lines pay, failed lines go back to pending; each line's
    outcome is shown on the page."""
    form = await request.form()
    await batches.get_visible(session, user=user, batch_id=batch_id)  # 404 before any input
    try:
        results = await _results_of(form)
    except InvalidInput as error:
        errors = {f"results-{batch_id}": reasons.say_error(error, sessions.of(request).language)}
        return await _page(request, session, user, status_code=422, errors=errors)
    outcome = await settlement.record_results(
        session, user=user, batch_id=batch_id, results=results
    )
    return await _page(request, session, user, outcome=outcome)


# --- paying one payout -------------------------------------------------------------------------

BANK_REFERENCE_NEEDED = N_("Give the bank's reference (up to 100 characters).")


async def _bank_reference(request: Request) -> str | None:
    """The form's bank reference if the API's ``Payment`` schema takes it, else None: yearly
    payouts and one-time payout tasks ask for the same reference."""
    try:
        return Payment(bank_reference=_text(await request.form(), "bank_reference")).bank_reference
    except ValidationError:
        return None


@router.post("/payouts/{payout_id}/pay")
async def pay(
    payout_id: PathId, request: Request, user: Finance, session: WriteSessionDep
) -> Response:
    """A yearly payout paid to the household's card, with the bank's reference."""
    reference = await _bank_reference(request)
    if reference is None:
        errors = {f"pay-{payout_id}": BANK_REFERENCE_NEEDED}
        return await _page(request, session, user, status_code=422, errors=errors)
    await payouts_service.pay(session, user=user, payout_id=payout_id, reference=reference)
    sessions.of(request).tell(N_("Payout recorded as paid"))
    return redirect(request, "/payouts")


@router.post("/payouts/tasks/{task_id}/pay")
async def pay_by_task(
    task_id: PathId, request: Request, user: Finance, session: WriteSessionDep
) -> Response:
    """A one-time payout: the case's payout task approved with the bank's reference, as
    ``POST /tasks/{id}/complete`` records it."""
    reference = await _bank_reference(request)
    if reference is None:
        errors = {f"task-{task_id}": BANK_REFERENCE_NEEDED}
        return await _page(request, session, user, status_code=422, errors=errors)
    decision = Decision(decision="approve", data={"bank_reference": reference})
    await tasks_service.complete(session, user=user, task_id=task_id, decision=decision)
    sessions.of(request).tell(N_("Payout recorded as paid"))
    return redirect(request, "/payouts")


# --- recoveries --------------------------------------------------------------------------------


@router.post("/payouts/recoveries/{recovery_id}/payments")
async def record_repayment(
    recovery_id: PathId, request: Request, user: Finance, session: WriteSessionDep
) -> Response:
    """Money got back against a recovery; it closes when the balance reaches zero."""
    form = await request.form()
    amount, reference = _text(form, "amount"), _text(form, "reference")
    key = f"recovery-{recovery_id}"
    values = {f"{key}-amount": amount, f"{key}-reference": reference}
    fen = fen_of_yuan(amount)
    try:
        if fen is None:
            raise InvalidInput(
                "amount: not an amount in yuan", field="amount", code="amount-invalid"
            )
        body = PaymentCreate(amount_fen=fen, reference=reference)
        await recoveries_service.record_payment(
            session, user=user, recovery_id=recovery_id, body=body
        )
    except ValidationError:
        message = N_("Give an amount above zero and the repayment's reference.")
        errors: dict[str, Any] = {key: message}
        return await _page(request, session, user, status_code=422, errors=errors, values=values)
    except InvalidInput as error:
        await audit_service.roll_back(session)
        errors = {key: reasons.say_error(error, sessions.of(request).language)}
        return await _page(request, session, user, status_code=422, errors=errors, values=values)
    sessions.of(request).tell(N_("Repayment recorded"))
    return redirect(request, "/payouts")
