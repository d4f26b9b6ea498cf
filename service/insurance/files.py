"""The files exchanged with the insurer: the list of an approved batch (投保清单, with the
full resident IDs the insurer needs to issue the policies: an audit event), and the insurer's
answer, the same list with each household's policy number filled in."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import User
from service.errors import Conflict
from service.insurance.models import BATCH_APPROVED, POLICY_APPROVED, POLICY_INSURED
from service.insurance.schemas import PolicyNumber
from service.insurance.service import MAKER, require_county
from service.insurance.views import get_visible, policies_of
from service.money import amount_cny
from service.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Sheet, read_uploaded_csv

HOUSEHOLD, POLICY_NO = "户编号", "保单号"
HEADER = (
    "序号",
    HOUSEHOLD,
    "户主姓名",
    "身份证号",
    "村(居)代码",
    "保费(元)",
    "保额(元)",
    POLICY_NO,
)


def batch_name(batch_id: int) -> str:
    return f"PA{batch_id:06d}"


async def insured_list(
    session: AsyncSession, *, user: User, batch_id: int, file_format: str
) -> tuple[bytes, str, str]:
    """The approved households of a batch for the insurer: (content, media type, file name)."""
    require_county(user, "list")
    batch = await get_visible(session, user=user, batch_id=batch_id)
    if batch.status != BATCH_APPROVED:
        raise Conflict(
            f"insurance batch {batch_id} is {batch.status}: the insurer gets approved lists",
            code="insurance-batch-not-approved",
            params={"batch_id": batch_id, "status": batch.status},
        )
    lines = [p for p in await policies_of(session, batch_id) if p.status in LIVE]
    rows: list[list[str | int | None]] = []
    for policy in lines:
        case = await session.get(Application, policy.application_id)
        assert case is not None
        rows.append(
            [
                policy.line_no,
                policy.application_id,
                case.applicant_name,
                case.applicant_id_number,  # in full: the insurer issues the policy on it
                case.village_code,
                amount_cny(policy.premium_fen),
                amount_cny(policy.sum_insured_fen),
                policy.policy_no or "",
            ]
        )
    name = batch_name(batch_id)
    total = sum(policy.premium_fen for policy in lines)
    sheet = Sheet(
        name=name,
        header=HEADER,
        rows=rows,
        footer=[["合计", f"{len(rows)}户", "", "", "", amount_cny(total), "", ""]],
        widths=(6, 10, 12, 22, 14, 10, 12, 22),
    )
    xlsx = file_format == "xlsx"
    audit_service.record(
        session,
        action="insurance_list_downloaded",
        actor=user,
        role=MAKER,
        county=batch.county_code,
        region=batch.county_code,
        after={"batch_id": batch_id, "format": file_format, "households": len(rows)},
    )
    await audit_service.commit(session)
    content = sheet.xlsx_bytes() if xlsx else sheet.csv_bytes()
    return content, XLSX_MEDIA_TYPE if xlsx else CSV_MEDIA_TYPE, f"{name}.{file_format}"


LIVE = (POLICY_APPROVED, POLICY_INSURED)


def parse_policy_file(content: bytes) -> list[PolicyNumber]:
    """The insurer's answer: CSV (UTF-8, a BOM allowed) with the columns 户编号 and 保单号
    (or application_id and policy_no); lines without a policy number are skipped."""
    names = ((HOUSEHOLD, POLICY_NO), ("application_id", "policy_no"))

    def keys_in(columns: set[str]) -> tuple[str, str] | None:
        return next((pair for pair in names if {*pair} <= columns), None)

    def parse(row: dict[str, str]) -> PolicyNumber | None:
        household_key, policy_key = keys_in(set(row)) or names[0]
        household, policy_no = row.get(household_key, ""), row.get(policy_key, "")
        if not policy_no or not household.isdigit():
            return None  # the footer, a blank line, a household the insurer has not numbered
        return PolicyNumber(application_id=int(household), policy_no=policy_no)

    return read_uploaded_csv(
        content,
        what="policy file",
        columns=names[0],
        header_fits=lambda columns: keys_in(columns) is not None,
        parse=parse,
    )
