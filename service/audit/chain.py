"""The hash chain: canonical serialisation of an event and the hash that links it.

An outside auditor recomputes ``hash = sha256(prev_hash || canonical(event))`` where canonical is
UTF-8 JSON with sorted keys, no spaces, non-ASCII kept, and ``at`` in UTC as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The genesis ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

HASHED_FIELDS = (
    "county", "seq", "at", "actor", "role", "region", "action", "application_id", "task_id",
    "before", "after", "comment", "request_id",
)  # fmt: skip


def format_at(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    # isoformat with fixed microseconds is the strftime pattern above, at a third of the cost.
    return aware.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_AT = HASHED_FIELDS.index("at")


def canonical(fields: Mapping[str, Any]) -> bytes:
    return canonical_values([fields.get(name) for name in HASHED_FIELDS])


def canonical_values(values: Sequence[Any]) -> bytes:
    """The canonical form of an event given as values in ``HASHED_FIELDS`` order."""
    body = dict(zip(HASHED_FIELDS, values, strict=True))
    body["at"] = format_at(values[_AT])
    return _ENCODE(body).encode()


def link_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(fields)).hexdigest()


def link_hash_values(prev_hash: str, values: Sequence[Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_values(values)).hexdigest()
