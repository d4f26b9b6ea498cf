"""What the service takes as text and free-form JSON (service/text.py), and what its files
carry of what is stored (spreadsheets, JSON columns): no input breaks a page or a file."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import TypeAdapter, ValidationError

from service.db import UNREADABLE, load_json
from service.errors import InvalidInput
from service.spreadsheets import Sheet, XlsxStream, csv_rows
from service.text import (
    MAX_DEPTH,
    MAX_KEYS,
    MAX_STRING,
    FreeText,
    Line,
    MaskedLine,
    checked,
    free_fields,
    printable,
)

CONTROLS = [chr(code) for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _code(error: ValidationError) -> str:
    return str(error.errors()[0]["type"])


@pytest.mark.parametrize("char", [c for c in CONTROLS if c not in "\t\n\r"])
def test_free_text_refuses_control_characters(char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(FreeText).validate_python(f"理由{char}说明")
    assert _code(refused.value) == "text-control-character"
    assert refused.value.errors()[0]["ctx"]["character"] == f"U+{ord(char):04X}"


@pytest.mark.parametrize("kind", [Line, MaskedLine])
@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\x00", "\x7f", "\x85"])
def test_a_line_refuses_line_breaks_and_controls(kind: Any, char: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(kind).validate_python(f"王{char}秀英")
    assert _code(refused.value) == "text-control-character"


@pytest.mark.parametrize("kind", [Line, MaskedLine, FreeText])
def test_unpaired_surrogates_are_refused(kind: Any) -> None:
    for text in ["\ud800", "a\udfffb", "\udc00\ud800"]:
        with pytest.raises(ValidationError) as refused:
            TypeAdapter(kind).validate_python(text)
        assert _code(refused.value) == "text-unpaired-surrogate"


def test_free_text_keeps_lines_and_tabs_and_masks_numbers() -> None:
    text = "第一行\r\n第二行\r第三行\t卡号 6228 4829 1417 7763 174"
    assert TypeAdapter(FreeText).validate_python(text) == (
        "第一行\n第二行\n第三行\t卡号 6228 **** **** ***3 174"
    )


def test_a_line_keeps_references_whole_and_a_masked_line_does_not() -> None:
    reference = "6228482914177763174"  # as a bank might number a transfer
    assert TypeAdapter(Line).validate_python(reference) == reference
    assert TypeAdapter(MaskedLine).validate_python(reference) == "6228***********3174"


def test_services_check_raw_strings_with_the_same_codes() -> None:
    with pytest.raises(InvalidInput) as refused:
        checked("a\x00b", field="reason")
    assert refused.value.code == "text-control-character"
    assert refused.value.extra["errors"][0]["field"] == "reason"
    with pytest.raises(InvalidInput) as refused:
        checked("\ud800", field="contact", lines=False, mask=False)
    assert refused.value.code == "text-unpaired-surrogate"
    assert checked("13800001111", field="contact", lines=False, mask=False) == "13800001111"
    assert checked("电话13800001111", field="text") == "电话138****1111"


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def _refusal(fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    with pytest.raises(Exception) as refused:  # noqa: PT011 - pydantic's custom error
        free_fields(fields)
    error = refused.value
    return error.type, error.context  # type: ignore[attr-defined]


def test_free_fields_are_bounded() -> None:
    assert free_fields({"notes": _nested(MAX_DEPTH)}) == {"notes": _nested(MAX_DEPTH)}
    assert _refusal({"notes": _nested(MAX_DEPTH + 1)}) == (
        "json-too-deep",
        {"path": "notes", "max_depth": MAX_DEPTH},
    )
    assert _refusal({"notes": _nested(5000)})[0] == "json-too-deep"  # no recursion error
    assert _refusal({"notes": list(range(MAX_KEYS + 1))})[0] == "json-too-many-keys"
    assert _refusal({str(n): n for n in range(MAX_KEYS + 1)})[0] == "json-too-many-keys"
    assert _refusal({"notes": ["x" * (MAX_STRING + 1)]})[0] == "json-string-too-long"
    assert _refusal({"notes": {"a\nb": 1}})[0] == "json-key-invalid"
    assert _refusal({"k" * 101: 1})[0] == "json-key-invalid"
    assert _refusal({"notes": "a\x00"})[0] == "text-control-character"
    assert _refusal({"notes": ["\ud800"]})[0] == "text-unpaired-surrogate"
    for number in (float("nan"), float("inf"), 2**53 + 1):  # 2**53 + 1: fails the Luhn check
        assert _refusal({"notes": {"n": number}})[0] == "json-number-invalid"


def test_stored_json_that_the_fast_parser_refuses_still_reads() -> None:
    assert load_json('{"a": NaN, "b": 1}') == {"a": None, "b": 1}
    assert load_json("[" * 3000 + "]" * 3000) == UNREADABLE
    assert load_json(b'{"a": [1, 2]}') == {"a": [1, 2]}


# --- files carry what is stored, never a raw control byte -------------------------------------

HOSTILE = ["王\x00秀\x1b英", "=1+1\x07", "\ud800半个", "行一\n行二\r\t", "\x7f\x85", "普通"]


def test_printable_replaces_controls_and_surrogates() -> None:
    assert printable("a\x00b\ud800c\nd\te") == "a\ufffdb\ufffdc\nd\te"
    assert printable("a\nb\tc\rd", lines=False) == "a b c d"


def test_a_sheet_of_hostile_names_writes_csv_and_xlsx() -> None:
    sheet = Sheet(name="B000001", header=["姓名", "金额"], rows=[[name, 1] for name in HOSTILE])
    data = sheet.csv_bytes()
    assert not RAW_CONTROL.search(data)
    assert b"\r\n" in data  # the line ends only
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [
        "王\ufffd秀\ufffd英",
        "'=1+1\ufffd",
        "\ufffd半个",
        "行一 行二  ",
        "\ufffd\ufffd",
        "普通",
    ]
    book = load_workbook(io.BytesIO(sheet.xlsx_bytes()))
    cells = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert cells[0] == "王\ufffd秀\ufffd英"
    assert all("\x00" not in str(cell) for cell in cells)


def test_streamed_exports_write_hostile_text() -> None:
    data = csv_rows([[text, json.dumps({"k": text}, ensure_ascii=False)] for text in HOSTILE])
    assert not RAW_CONTROL.search(data)
    sheet = XlsxStream("audit_events", ["text"])
    sheet.append([[text] for text in HOSTILE])
    out = io.BytesIO()
    sheet.save(out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)][3] == (
        "行一\n行二\r\t"
    )
