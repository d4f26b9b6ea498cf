"""The declaration of a task's data (``field.<name>`` properties) and its checks, as pure rules."""

from __future__ import annotations

import pytest

from service.engine.fields import DeclarationError, FieldSpec, check_data, parse_field
from service.errors import InvalidInput

PARENTS = parse_field("eligible_parents", "integer min=1 max=2")
CARD = parse_field("bank_card", "card")
NOTE = parse_field("note", "text max=40")
REFERENCE = parse_field("bank_reference", "reference required")


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        ("integer min=1 max=2", FieldSpec("n", "integer", 1, 2)),
        ("text max=20 required", FieldSpec("n", "text", 0, 20, required=True)),
        ("boolean", FieldSpec("n", "boolean")),
        ("  date   required ", FieldSpec("n", "date", required=True)),
    ],
)
def test_a_declaration_reads_as_written(declaration: str, expected: FieldSpec) -> None:
    assert parse_field("n", declaration) == expected


@pytest.mark.parametrize(
    "declaration",
    [
        "",
        "number",
        "integer min=",
        "integer min=x",
        "integer min=3 max=2",
        "boolean max=1",
        "integer optional",
        "integer max=inf",
        "text max=1e300",
    ],
)
def test_a_declaration_the_service_cannot_read_is_refused(declaration: str) -> None:
    with pytest.raises(DeclarationError):
        parse_field("n", declaration)


@pytest.mark.parametrize("name", ["Parents", "1st", "a-b", "x" * 41, ""])
def test_field_names_are_plain_lower_case(name: str) -> None:
    with pytest.raises(DeclarationError):
        parse_field(name, "text")


@pytest.mark.parametrize(
    ("spec", "value", "code"),
    [
        (PARENTS, True, "data-field-type"),
        (PARENTS, 2.0, "data-field-type"),
        (PARENTS, "2", "data-field-type"),
        (PARENTS, 3, "data-field-range"),
        (PARENTS, 0, "data-field-range"),
        (CARD, "6228 4829 1417 7763 175", "data-field-type"),  # Luhn fails
        (CARD, 6228482914177763174, "data-field-type"),  # a number is not a card
        (NOTE, "x" * 41, "data-field-too-long"),
        (NOTE, "a\x00b", "text-control-character"),
        (REFERENCE, "two\nlines", "text-control-character"),
        (REFERENCE, "   ", "data-field-required"),
    ],
)
def test_a_value_not_as_declared_is_refused_naming_the_field(
    spec: FieldSpec, value: object, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_data((spec,), {spec.name: value}, approving=True)
    assert refused.value.code == code
    assert refused.value.extra["errors"][0]["field"] == f"data.{spec.name}"


def test_values_are_stored_as_the_service_keeps_them() -> None:
    data = {
        "eligible_parents": 1,
        "bank_card": "6228-4829-1417-7763-174",
        "note": "卡号 6228482914177763174",
        "bank_reference": " RCC 000381 ",
    }
    assert check_data((PARENTS, CARD, NOTE, REFERENCE), data, approving=True) == {
        "eligible_parents": 1,
        "bank_card": "6228482914177763174",
        "note": "卡号 6228***********3174",
        "bank_reference": "RCC 000381",
    }


def test_only_declared_fields_and_required_ones_only_to_approve() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_data((PARENTS,), {"county": "130123"}, approving=True)
    assert refused.value.code == "data-field-undeclared"
    with pytest.raises(InvalidInput) as missing:
        check_data((REFERENCE,), {}, approving=True)
    assert missing.value.code == "data-field-required"
    assert check_data((REFERENCE,), {}, approving=False) == {}
