"""Shared request parameter types: bounded so that no value can reach the database unchecked."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1  # the range of the integer primary keys on every backend

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the last page")]
RegionPrefix = Annotated[str | None, Query(pattern=r"^\d{6,12}$")]

ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: object) -> object:
    """Dates and times in a query are ISO 8601 text: pydantic would also read a bare number
    as seconds since 1970 (``until=0.5``), which no caller means."""
    if isinstance(value, str) and not ISO_PREFIX.match(value):
        raise PydanticCustomError(
            "iso-date-expected",
            "expected an ISO 8601 date or time (2026-01-31, 2026-01-31T08:00:00+08:00)",
        )
    return value


# Dates a case can carry; beyond them a date is a typing error, not a query.
QueryDate = Annotated[
    date | None,
    BeforeValidator(_iso_text),
    Query(ge=date(1900, 1, 1), le=date(2999, 12, 31)),
]
# An instant with its zone (…Z or +08:00): a bare local time would be ambiguous.
QueryInstant = Annotated[AwareDatetime | None, BeforeValidator(_iso_text), Query()]

# A downloaded table's format (``?format=csv|xlsx``): each route gives its own default, the
# one its readers open (a bank's import takes CSV; people open spreadsheets).
FileFormat = Literal["csv", "xlsx"]
FileFormatQuery = Annotated[FileFormat, Query(alias="format")]
