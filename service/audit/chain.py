"""The hash chain: canonical serialisation of an event and the hash that links it.

An outside auditor recomputes ``hash = sha256(prev_hash || canonical(event))`` where canonical is
UTF-8 JSON with sorted keys, no spaces, non-ASCII kept, and ``at`` in UTC as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The genesis ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

HASHED_FIELDS = (
    "county", "seq", "at", "actor", "role", "region", "action", "application_id", "task_id",
    "before", "after", "comment", "request_id",
)  # fmt: skip


def format_at(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict[str, Any]) -> bytes:
    body = {name: fields.get(name) for name in HASHED_FIELDS}
    body["at"] = format_at(fields["at"])
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(fields)).hexdigest()
