"""The inputs of the fields a task declares (``field.*`` in its flow), and the data they post.

Each declared field is a ``data.<name>`` input of the case page's decision form. What a person
typed is passed on as typed where it is not a number; the engine checks it against the
declaration and a refusal sends the person back to the form.
"""

from __future__ import annotations

import math
import re
from typing import Any

from starlette.datastructures import FormData

from service.engine import FieldSpec
from service.web.i18n import N_

REFUSED = N_(
    "A value entered for this task is missing or not valid; check the fields and try again."
)
_INTEGER = re.compile(r"-?\d{1,16}")


def _number(spec: FieldSpec, raw: str) -> Any:
    if spec.type == "integer":
        return int(raw) if _INTEGER.fullmatch(raw) else raw
    try:
        value = float(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def data_of(form: FormData, fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """The task's data from its inputs; an empty input is not sent (the field stays as it was)."""
    data: dict[str, Any] = {}
    for spec in fields:
        raw = form.get(f"data.{spec.name}")
        if spec.type == "boolean":
            if raw is not None:
                data[spec.name] = raw == "true"
            continue
        if not isinstance(raw, str) or not raw.strip():
            continue
        text = raw.strip()
        data[spec.name] = _number(spec, text) if spec.type in ("integer", "decimal") else text
    return data
