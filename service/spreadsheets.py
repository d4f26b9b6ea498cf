"""Spreadsheet files people open in Excel: CSV (UTF-8 with BOM) and xlsx (openpyxl).

Cells hold text people typed (names), so nothing may turn into a formula: a CSV cell that
starts like one is prefixed with an apostrophe (OWASP "CSV injection"), and an xlsx cell is
written as a string cell whatever it starts with. Long digit runs (card numbers) are text
in xlsx, so Excel keeps every digit instead of rounding them to a float. A stored value never
breaks a file and no file carries a raw control byte: control characters and unpaired
surrogates become U+FFFD (a ``Sheet``, one line per cell for the bank and the township, turns
tab and line breaks into spaces; the audit export keeps a comment's lines).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from service.config import get_settings
from service.errors import InvalidInput
from service.text import printable

Cell = str | int | None
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The zones an office in mainland China means by 北京时间 (China Standard Time, UTC+8).
CHINA_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "PRC"})


def office_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def office_time_header() -> str:
    """The header of a column of times in the office's zone, naming the zone: people read the
    file without knowing what the service stores (UTC)."""
    zone = office_zone()
    offset = dt.datetime.now(zone).utcoffset() or dt.timedelta()
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    sign = "+" if offset >= dt.timedelta() else "-"
    utc = f"UTC{sign}{abs(hours)}" + (f":{rest:02d}" if rest else "")
    if zone.key in CHINA_ZONES:
        return f"时间 (北京时间 {utc})"
    return f"时间 ({zone.key}, {utc})"


def office_time(moment: dt.datetime | None) -> str | None:
    """An instant as the office reads it: 2026-12-06 22:10:29 in the office's zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored instants are UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(office_zone()).strftime("%Y-%m-%d %H:%M:%S")


def _inert(value: Cell, *, lines: bool = True) -> Cell:
    if isinstance(value, str):
        value = printable(value, lines=lines)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


@dataclass
class Sheet:
    """A table: an optional title line, the header, the rows and optional footer rows."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    title: str | None = None
    footer: Sequence[Sequence[Cell]] = field(default_factory=list)
    widths: Sequence[int] = ()

    def csv_bytes(self) -> bytes:
        """UTF-8 with a BOM, so Excel reads the Chinese text right; CRLF line ends."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.title:
            writer.writerow([self.title])
        for row in (self.header, *self.rows, *self.footer):
            writer.writerow([_inert(value, lines=False) for value in row])
        return out.getvalue().encode("utf-8-sig")

    def xlsx_bytes(self) -> bytes:
        book = Workbook()
        sheet: Any = book.active
        sheet.title = self.name[:31]  # Excel's limit on sheet names
        row_no = 1
        if self.title:
            sheet.cell(row=1, column=1, value=self.title).font = Font(bold=True, size=14)
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(self.header))
            row_no = 2
        for column, name in enumerate(self.header, start=1):
            cell = sheet.cell(row=row_no, column=column, value=name)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        sheet.freeze_panes = sheet.cell(row=row_no + 1, column=1)
        for offset, row in enumerate((*self.rows, *self.footer), start=row_no + 1):
            for column, value in enumerate(row, start=1):
                if isinstance(value, str):
                    value = printable(value, lines=False)
                cell = sheet.cell(row=offset, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
        for column, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


# --- streamed files: as many rows as a query yields, never all of them in memory --------------


def csv_rows(rows: Iterable[Sequence[Cell]], *, bom: bool = False) -> bytes:
    """Rows as CSV lines (CRLF), formula-like text made inert. The first chunk of a streamed
    file passes ``bom``: UTF-8 with a BOM, so Excel reads the Chinese text right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([_inert(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


class XlsxStream:
    """One sheet written row by row in openpyxl's write-only mode.

    Rows go to openpyxl's temporary file as they are appended, as inline strings (no shared
    string table growing in memory), so memory stays flat however many rows come. An xlsx is a
    zip whose directory comes last: ``save`` can only run once every row is in. Blocking
    (openpyxl and file I/O): async callers run these methods in a worker thread.
    """

    MAX_ROWS = 1_048_576  # Excel's limit, header included

    def __init__(self, name: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        self._book = Workbook(write_only=True)
        self._sheet: Any = self._book.create_sheet(name[:31])  # Excel's limit on sheet names
        for column, width in enumerate(widths, start=1):
            self._sheet.column_dimensions[get_column_letter(column)].width = width
        self._sheet.freeze_panes = "A2"
        self.rows = 0
        self._saved = False
        bold = Font(bold=True)
        self._sheet.append([self._cell(name, font=bold) for name in header])

    def _cell(self, value: Cell, *, font: Font | None = None) -> WriteOnlyCell | Cell:
        if isinstance(value, str):
            # openpyxl refuses control characters; Excel cells hold at most 32,767 characters.
            text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", printable(value))[:32767]
            # Plain text stays a plain value (a cell object for each made exports 40% slower); what
            # openpyxl would read as a formula or an error code is forced to a string cell.
            if font is None and not text.startswith("=") and text not in ERROR_CODES:
                return text
            value = text
        elif font is None:
            return value
        cell = WriteOnlyCell(self._sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        if font is not None:
            cell.font = font
        return cell

    def append(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            self._sheet.append([self._cell(value) for value in row])
            self.rows += 1

    def save(self, out: IO[bytes]) -> None:
        self._saved = True
        self._book.save(out)  # removes openpyxl's temporary file

    def discard(self) -> None:
        """Remove openpyxl's temporary file of a sheet that will not be saved (an export the
        client gave up on); openpyxl itself would remove it only when the process exits."""
        if not self._saved and not self._sheet.closed:
            self._sheet.close()
            self._sheet._writer.cleanup()
            self._saved = True


Line = TypeVar("Line")


def read_uploaded_csv(
    content: bytes,
    *,
    what: str,
    columns: Sequence[str],
    header_fits: Callable[[set[str]], bool],
    parse: Callable[[dict[str, str]], Line | None],
) -> list[Line]:
    """The lines of a CSV file a partner sends back (the bank's results, the insurer's policy
    numbers): UTF-8, a BOM allowed, a header row that ``header_fits``; each line's cells,
    stripped and keyed by column, go through ``parse`` (None skips the line: a footer, a blank
    line). Every refusal names the file (``what``) and, for a bad line, its number in the
    file as a spreadsheet shows it, so the office can correct the file and send it again."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"the {what} is not UTF-8 text", field="file", code="result-file-encoding"
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    if not header_fits({(name or "").strip() for name in reader.fieldnames or []}):
        raise InvalidInput(
            f"the {what} needs a header row with " + ", ".join(columns),
            field="file",
            code="result-file-header",
            params={"columns": list(columns)},
        )
    lines = []
    for number, raw in enumerate(reader, start=2):  # line 1 is the header
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
        try:
            line = parse(row)
        except ValidationError as error:
            message = "; ".join(str(item["msg"]) for item in error.errors())
            raise InvalidInput(
                f"line {number}: {message}",
                field=f"file:{number}",
                code="result-file-line",
                params={"line": number, "message": message},
            ) from None
        if line is not None:
            lines.append(line)
    if not lines:
        raise InvalidInput(f"the {what} holds no line", field="file", code="result-file-empty")
    return lines
