"""What the service takes as text and free-form JSON, for the schemas of every domain.

No input may break a page for others or keep a personal number where it does not belong:

- ``Line`` (names, references, contacts) and ``FreeText`` (comments, reasons, notes) refuse
  control characters (U+0000-U+001F, U+007F-U+009F; ``FreeText`` keeps tab and line breaks,
  CR LF becoming LF) and unpaired surrogates, with a 422;
- ``MaskedLine`` and ``FreeText`` mask resident IDs, bank cards and mobile numbers typed into
  them before anything stores or logs them (``masking.mask_text``): the number is not kept, and
  nobody is asked to retype. Full numbers live only in the columns made for them (the
  applicant's ID, the household's card and phone) and in references (``Line``: the bank's
  payout reference must still match the bank's result file);
- ``free_json`` bounds a free-form JSON value (depth, keys, items, string length, finite
  numbers) and masks it, strings, keys and numbers alike.

Services that take a string from more than one edge (the API and the console) check it again
with ``checked``, which raises the same codes as a domain ``InvalidInput``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from service.errors import InvalidInput
from service.masking import mask_numbers_in, mask_text

# C0 and C1 controls and DEL; a lone surrogate (from a JSON "\ud800" escape) can be neither
# stored in PostgreSQL nor encoded as UTF-8.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# Free-form JSON: what an extra field of a submission may hold.
MAX_DEPTH = 4  # containers inside one field's value
MAX_KEYS = 50  # keys of one object, items of one list
MAX_STRING = 2000  # characters of a string
MAX_KEY = 100  # characters of a key
MAX_INTEGER = 2**53 - 1  # what every JSON reader keeps exactly


def _refusal(value: str, *, lines: bool) -> tuple[str, str, dict[str, Any]] | None:
    """Why ``value`` cannot be taken: (code, English message, params), or None."""
    control = (_CONTROL_IN_LINES if lines else _CONTROL).search(value)
    if control is not None:
        char = f"U+{ord(control.group(0)):04X}"
        return (
            "text-control-character",
            f"control character {char} at position {control.start()}",
            {"character": char, "position": control.start()},
        )
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        return (
            "text-unpaired-surrogate",
            f"unpaired surrogate at position {surrogate.start()}",
            {"position": surrogate.start()},
        )
    return None


def _check(value: str, *, lines: bool) -> str:
    refusal = _refusal(value, lines=lines)
    if refusal is not None:
        code, message, params = refusal
        if code == "text-control-character":
            raise PydanticCustomError("text-control-character", message, params)
        raise PydanticCustomError("text-unpaired-surrogate", message, params)
    return value.replace("\r\n", "\n").replace("\r", "\n") if lines else value


def _line(value: str) -> str:
    return _check(value, lines=False)


def _masked_line(value: str) -> str:
    return mask_text(_check(value, lines=False))


def free_text(value: str) -> str:
    """``FreeText``'s check, for a type that adds its own constraints first."""
    return mask_text(_check(value, lines=True))


# A single line kept as typed: references, contacts.
Line = Annotated[str, AfterValidator(_line)]
# A single line with personal numbers masked: names.
MaskedLine = Annotated[str, AfterValidator(_masked_line)]
# Lines of free text with personal numbers masked: comments, reasons, notes, objections.
FreeText = Annotated[str, AfterValidator(free_text)]


def checked(value: str, *, field: str, lines: bool = True, mask: bool = True) -> str:
    """``value`` as ``FreeText`` (``lines``) or a line (``MaskedLine``, or ``Line`` without
    ``mask``) takes it, for services that are called from more than one edge; else 422."""
    refusal = _refusal(value, lines=lines)
    if refusal is not None:
        code, message, params = refusal
        if code == "text-control-character":
            raise InvalidInput(message, field=field, code="text-control-character", params=params)
        raise InvalidInput(message, field=field, code="text-unpaired-surrogate", params=params)
    if lines:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return mask_text(value) if mask else value


MAX_NAME = 100  # characters of a person's or a place's name


def name(value: str, *, field: str = "name") -> str:
    """A person's or a place's name as it is kept: one line, trimmed, 1 to ``MAX_NAME``
    characters; else 422 ``name-length`` (or the control-character codes)."""
    text = checked(value, field=field, lines=False).strip()
    if not 1 <= len(text) <= MAX_NAME:
        raise InvalidInput(
            f"a name is 1 to {MAX_NAME} characters",
            field=field,
            code="name-length",
            params={"max": MAX_NAME},
        )
    return text


MAX_REASON = 500  # characters of a reason: a sentence or two, not a report


def reason(value: str, *, field: str = "reason") -> str:
    """Why someone changed an account or moved a task, as the trail keeps it: required, 1 to
    ``MAX_REASON`` characters once trimmed, checked and masked as ``FreeText``; else 422
    ``reason-required`` (or the control-character codes)."""
    text = checked(value.strip(), field=field, lines=True)
    if not 1 <= len(text) <= MAX_REASON:
        raise InvalidInput(
            f"say why, in 1 to {MAX_REASON} characters", field=field, code="reason-required"
        )
    return text


def _json_refusal(message: str, path: str, *, code: str, **params: Any) -> PydanticCustomError:
    path = mask_text(_CONTROL.sub("?", _SURROGATE.sub("?", path)))  # echoed to the caller
    return PydanticCustomError(code, f"{path}: {message}", {"path": path, **params})


def _check_key(key: object, path: str) -> None:
    if isinstance(key, str) and (len(key) > MAX_KEY or _refusal(key, lines=False) is not None):
        raise _json_refusal(
            code="json-key-invalid",
            message=f"keys are at most {MAX_KEY} characters, without control characters",
            path=path,
            max_length=MAX_KEY,
        )


def _bounded_scalar(value: Any, path: str) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise _json_refusal(
                code="json-string-too-long",
                message=f"strings hold at most {MAX_STRING} characters",
                path=path,
                max_length=MAX_STRING,
            )
        refusal = _refusal(value, lines=True)
        if refusal is not None:
            raise _json_refusal(refusal[1], path=path, code=refusal[0], **refusal[2])
    elif isinstance(value, float) and not math.isfinite(value):
        raise _json_refusal(code="json-number-invalid", message="numbers must be finite", path=path)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        raise _json_refusal(
            code="json-number-invalid", message=f"integers are limited to ±{MAX_INTEGER}", path=path
        )


def _bounded(value: Any, path: str) -> None:
    """Raise if ``value`` (parsed JSON, its depth checked by ``_shallow``) is wider or longer
    than a field may hold."""
    if not isinstance(value, dict | list):
        _bounded_scalar(value, path)
        return
    if len(value) > MAX_KEYS:
        raise _json_refusal(
            code="json-too-many-keys",
            message=f"objects and lists hold at most {MAX_KEYS} entries",
            path=path,
            max_keys=MAX_KEYS,
        )
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        _check_key(key, path)
        _bounded(item, f"{path}.{key}")


def free_json(value: Any, *, path: str) -> Any:
    """A free-form JSON value (``path``: where it was given) bounded and masked: personal
    numbers in its strings, keys and numbers become masked strings. Raises a pydantic error
    (422) for a value too deep, too wide, too long, with a control character or a number that
    is not finite or too large to keep exactly (after masking: a card sent as a JSON number is
    masked, not refused)."""
    _shallow(value, path)
    masked = mask_numbers_in(value, depth=MAX_DEPTH + 1)
    _bounded(masked, path)
    return masked


def _shallow(value: Any, path: str) -> None:
    """Refuse depth first, without recursion (a body may nest a thousand levels), and before
    masking walks the value (it stops at a bounded depth, which would hide how deep it went)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise _json_refusal(
                    code="json-too-deep",
                    message=f"values nest at most {MAX_DEPTH} levels",
                    path=path,
                    max_depth=MAX_DEPTH,
                )
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def free_fields(fields: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Fields a schema takes beyond its own (``extra="allow"``): at most ``MAX_KEYS`` of them,
    plain keys, each value ``free_json``; keys and values masked."""
    if len(fields) > MAX_KEYS:
        raise _json_refusal(
            code="json-too-many-keys",
            message=f"at most {MAX_KEYS} additional fields",
            path=prefix.rstrip(".") or "body",
            max_keys=MAX_KEYS,
        )
    bounded: dict[str, Any] = {}
    for key, value in fields.items():
        _check_key(key, prefix + key[:MAX_KEY])
        bounded[mask_text(key)] = free_json(value, path=prefix + key)
    return bounded


def _stored_text(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


# Reads of what is already stored, masked again: rows written before masking knew every shape
# of a number cannot be rewritten (the trail's triggers refuse it), so reads mask them. Masking
# is idempotent: what was masked when stored reads the same.
StoredJson = Annotated[dict[str, Any] | None, BeforeValidator(mask_numbers_in)]
StoredText = Annotated[str | None, BeforeValidator(_stored_text)]


def printable(value: str, *, lines: bool = True) -> str:
    """``value`` with every control character and unpaired surrogate replaced by U+FFFD (tab
    and line breaks too, unless ``lines``): for files that must carry what is stored, whatever
    it is, and never a raw control byte (exports, bank files)."""
    value = _SURROGATE.sub("\ufffd", value)
    if lines:
        return _CONTROL_IN_LINES.sub("\ufffd", value)
    return _CONTROL.sub(" ", _CONTROL_IN_LINES.sub("\ufffd", value))
