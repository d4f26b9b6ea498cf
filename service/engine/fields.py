"""The data a user task takes: declared in the flow, checked at every completion.

A user task declares each field it accepts as a SpiffWorkflow property (the extension element
SpiffArena's modeler edits), named ``field.<name>``::

    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="field.eligible_parents" value="integer min=1 max=2" />
        <spiffworkflow:property name="field.bank_reference" value="reference required" />
      </spiffworkflow:properties>
    </bpmn:extensionElements>

The value is a type, then options: ``min=``/``max=`` (bounds of a number; the length of
text), ``required`` (needed when the decision is approve). Completion accepts exactly the
declared fields, each of its type and within its bounds; anything else is refused naming the
field. A task with no declaration takes no data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum import luhn

from service.errors import InvalidInput
from service.masking import mask_card, mask_text
from service.text import checked

FIELD_PREFIX = "field."
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

MAX_SAFE_INTEGER = 2**53 - 1
TEXT_MAX = 500
REFERENCE_MAX = 100  # as the payouts' own reference
# What each type holds and its default bounds (a number's range; text's length).
TYPES: dict[str, tuple[str, float | None, float | None]] = {
    "integer": ("a whole number", -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    "decimal": ("a number", -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    "boolean": ("true or false", None, None),
    "text": ("text (numbers of IDs, cards and phones in it are masked)", 0, TEXT_MAX),
    "reference": ("a reference, one line kept as written", 1, REFERENCE_MAX),
    "date": ("a date, YYYY-MM-DD", None, None),
    "card": ("a bank card number (16-19 digits, Luhn check)", None, None),
}
# Variables the service writes at every completion: no task may declare or send them.
SERVICE_WRITTEN = frozenset({"decision", "comment", "changes_money", "typename"})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False

    def describe(self) -> str:
        """The declaration as written in a flow (for upload reports and docs)."""
        parts = [self.type]
        default_min, default_max = TYPES[self.type][1:]
        if self.minimum != default_min:
            parts.append(f"min={_number_text(self.minimum)}")
        if self.maximum != default_max:
            parts.append(f"max={_number_text(self.maximum)}")
        if self.required:
            parts.append("required")
        return " ".join(parts)


def _number_text(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


class DeclarationError(ValueError):
    """A ``field.*`` property the service cannot read; the message says what to write."""


def parse_field(name: str, declaration: str) -> FieldSpec:
    """One ``field.<name>`` property: ``<type> [min=N] [max=N] [required]``."""
    if not FIELD_NAME.match(name):
        raise DeclarationError(
            f"field name {name!r}: use a lower-case name of a-z, 0-9 and _ (at most 40)"
        )
    words = declaration.split()
    if not words or words[0] not in TYPES:
        raise DeclarationError(
            f"field {name!r}: start the value with a type, one of {', '.join(TYPES)} "
            f"(found {declaration.strip()[:40]!r})"
        )
    kind, (_, minimum, maximum) = words[0], TYPES[words[0]]
    required = False
    for word in words[1:]:
        if word == "required":
            required = True
        elif word.startswith(("min=", "max=")) and minimum is not None:
            bound = _bound(name, word)
            if word.startswith("min="):
                minimum = bound
            else:
                maximum = bound
        else:
            raise DeclarationError(
                f"field {name!r}: {word!r} is not an option of {kind}; write "
                + ("min=N, max=N or required" if minimum is not None else "required")
            )
    if minimum is not None and maximum is not None and minimum > maximum:
        raise DeclarationError(f"field {name!r}: min is above max")
    return FieldSpec(name, kind, minimum, maximum, required)


def _bound(name: str, word: str) -> float:
    text = word[4:]
    try:
        value = float(text)
    except ValueError:
        raise DeclarationError(f"field {name!r}: {word!r} needs a number after '='") from None
    if not math.isfinite(value) or abs(value) > MAX_SAFE_INTEGER:
        raise DeclarationError(f"field {name!r}: {word!r} is out of range")
    return value


def declared_fields(properties: dict[str, str]) -> tuple[tuple[FieldSpec, ...], list[str]]:
    """The fields a task's properties declare, and the reasons any declaration is unreadable."""
    fields, problems = [], []
    for key, value in properties.items():
        if not key.startswith(FIELD_PREFIX):
            continue
        try:
            fields.append(parse_field(key[len(FIELD_PREFIX) :], value or ""))
        except DeclarationError as error:
            problems.append(str(error))
    return tuple(fields), problems


def _refuse(spec: FieldSpec, message: str, *, code: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        f"data {spec.name!r}: {message}",
        field=f"data.{spec.name}",
        code=code,
        params={"field": spec.name, "type": spec.type, **params},
    )


def _check_number(spec: FieldSpec, value: Any) -> int | float:
    if spec.type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
    if not ok:
        raise _refuse(spec, f"expected {TYPES[spec.type][0]}", code="data-field-type")
    low, high = spec.minimum, spec.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise _refuse(
            spec,
            f"must be between {_number_text(low)} and {_number_text(high)}",
            code="data-field-range",
            min=low,
            max=high,
        )
    return value  # type: ignore[no-any-return]


def _check_text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _refuse(spec, f"expected {TYPES[spec.type][0]}", code="data-field-type")
    # Free text keeps its lines and loses full numbers (it is shown to others); a reference
    # is one line kept as written (the bank's result file repeats it).
    free = spec.type == "text"
    text = checked(value.strip(), field=f"data.{spec.name}", lines=free, mask=free)
    if spec.maximum is not None and len(text) > spec.maximum:
        raise _refuse(
            spec,
            f"at most {_number_text(spec.maximum)} characters",
            code="data-field-too-long",
            max=spec.maximum,
        )
    if spec.minimum and len(text) < spec.minimum:
        raise _refuse(spec, "is empty", code="data-field-required")
    return text


def _check_other(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "boolean" and isinstance(value, bool):
        return value
    if spec.type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if spec.type == "card" and isinstance(value, str):
        digits = re.sub(r"[ -]", "", value)
        if digits.isdigit() and 16 <= len(digits) <= 19 and luhn.is_valid(digits):
            return digits
    raise _refuse(spec, f"expected {TYPES[spec.type][0]}", code="data-field-type")


def check_value(spec: FieldSpec, value: Any) -> Any:
    """``value`` as the task stores it, or a 422 naming the field and what it expects."""
    if spec.type in ("integer", "decimal"):
        return _check_number(spec, value)
    if spec.type in ("text", "reference"):
        return _check_text(spec, value)
    return _check_other(spec, value)


def check_data(
    fields: tuple[FieldSpec, ...], data: dict[str, Any], *, approving: bool
) -> dict[str, Any]:
    """Exactly the declared fields, each checked; required ones when the decision approves.
    A null value leaves the field unset."""
    by_name = {spec.name: spec for spec in fields}
    for name in data:
        if name not in by_name:
            accepted = ", ".join(sorted(by_name)) or "none"
            raise InvalidInput(
                f"data {name!r}: this task does not take it (it takes: {accepted})",
                field=f"data.{name}",
                code="data-field-undeclared",
                params={"field": name, "accepted": sorted(by_name)},
            )
    checked = {}
    for spec in fields:
        value = data.get(spec.name)
        if value is None:
            if spec.required and approving:
                raise _refuse(spec, "is required to approve", code="data-field-required")
            continue
        checked[spec.name] = check_value(spec, value)
    return checked


def masked_value(spec_type: str | None, value: Any) -> Any:
    """A task value as the trail shows it: a card masked like everywhere else."""
    if spec_type == "card" and isinstance(value, str):
        return mask_card(value)
    if isinstance(value, str):
        return mask_text(value)
    return value
