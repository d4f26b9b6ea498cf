"""The trail as a file: CSV (UTF-8 with BOM, opens in Excel) or xlsx, streamed page by page.

An export reads the events in id-ordered pages of ``queries.EXPORT_PAGE`` and never holds
more than one page. CSV goes out as each page is read. An xlsx is a zip whose directory comes
last, so its rows go page by page into openpyxl's temporary file (write-only mode, off the
event loop), and the finished file is then streamed in chunks from a temporary file.

Every export is itself an audit event: who exported, in which format, with which filter.
Numbers are masked when an event is written, and masked again here: rows written before the
masking knew every shape of a number (a card in groups, a card sent as a JSON number) cannot
be rewritten, so the file masks them. ``at`` is UTC in the chain's own format (its header says
UTC), so the columns
recompute the hashes, except where a text cell starting like a formula got an apostrophe in
the CSV, a control character became U+FFFD, or such an old row had a number masked here
(``/audit/verify`` recomputes the chain from the database, as stored). A last column gives the
same instant in the office's time zone (China time), its header naming the zone.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from anyio import to_thread
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import queries
from service.audit import service as audit_service
from service.audit.chain import format_at
from service.audit.models import AuditEvent
from service.auth.models import ADMIN, AUDITOR, User
from service.clock import utcnow
from service.masking import mask_numbers_in, mask_text
from service.spreadsheets import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    XlsxStream,
    csv_rows,
    office_time,
    office_time_header,
)

Format = Literal["csv", "xlsx"]
ACTION = "audit_exported"
# The chain's fields under their own names (an outside auditor recomputes the hashes from
# them), ``at`` in UTC as the chain holds it, said in its header; then the same instant in
# the office's time zone (China time), as people read it.
FIELDS = (
    "id", "county", "seq", "at", "actor", "role", "region", "action", "application_id",
    "task_id", "before", "after", "comment", "request_id", "prev_hash", "hash",
)  # fmt: skip
AT_HEADER = "at (UTC)"
WIDTHS = (8, 8, 8, 28, 16, 18, 14, 22, 14, 8, 40, 40, 30, 34, 66, 66, 22)


def columns() -> tuple[str, ...]:
    """The header row: the fields, ``at`` marked UTC, and the office-time column last."""
    named = tuple(AT_HEADER if name == "at" else name for name in FIELDS)
    return (*named, office_time_header())


CHUNK = 64 * 1024
TRUNCATED = "… Excel holds no more rows: narrow the filter, or export CSV"


def _json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(mask_numbers_in(value), ensure_ascii=False, sort_keys=True)


def _cells(event: AuditEvent) -> list[Cell]:
    return [
        event.id, event.county, event.seq, format_at(event.at), event.actor, event.role,
        event.region, event.action, event.application_id, event.task_id, _json(event.before),
        _json(event.after), event.comment and mask_text(event.comment), event.request_id,
        event.prev_hash, event.hash, office_time(event.at),
    ]  # fmt: skip


@dataclass
class Export:
    filename: str
    media_type: str
    chunks: AsyncIterator[bytes]


async def _csv(
    session: AsyncSession, user: User, query: queries.EventFilter
) -> AsyncIterator[bytes]:
    yield csv_rows([columns()], bom=True)
    async for page in queries.pages(session, user=user, query=query):
        yield csv_rows(_cells(event) for event in page)


async def _xlsx(
    session: AsyncSession, user: User, query: queries.EventFilter
) -> AsyncIterator[bytes]:
    sheet = XlsxStream("audit_events", columns(), WIDTHS)
    try:
        async for page in queries.pages(session, user=user, query=query):
            rows = [_cells(event) for event in page]
            room = max(0, XlsxStream.MAX_ROWS - 2 - sheet.rows)
            await to_thread.run_sync(sheet.append, rows[:room])
            if len(rows) > room:
                await to_thread.run_sync(sheet.append, [[TRUNCATED]])
                break
        with tempfile.TemporaryFile() as out:
            await to_thread.run_sync(sheet.save, out)
            out.seek(0)
            while chunk := await to_thread.run_sync(out.read, CHUNK):
                yield chunk
    finally:
        sheet.discard()


async def export(
    session: AsyncSession,
    writes: AsyncSession,
    *,
    user: User,
    query: queries.EventFilter,
    format_: Format,
) -> Export:
    """Record the export (``writes``, committed now), then stream it from ``session``."""
    queries.visible_to(user)  # 403 before anything is written
    audit_service.record(
        writes,
        action=ACTION,
        actor=user,
        role=AUDITOR if AUDITOR in user.roles else ADMIN,
        # Not tied to a case (the filter names it): the case's trail holds the case's events.
        region=user.jurisdiction,
        after={"format": format_, "filter": query.described()},
    )
    await audit_service.commit(writes)
    filename = f"audit-events-{user.jurisdiction}-{utcnow():%Y%m%dT%H%M%SZ}.{format_}"
    if format_ == "csv":
        return Export(filename, CSV_MEDIA_TYPE, _csv(session, user, query))
    return Export(filename, XLSX_MEDIA_TYPE, _xlsx(session, user, query))
