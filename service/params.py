"""Shared request parameter types: bounded so that no value can reach the database unchecked."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import AwareDatetime

MAX_ID = 2**31 - 1  # the range of the integer primary keys on every backend

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the last page")]
RegionPrefix = Annotated[str | None, Query(pattern=r"^\d{6,12}$")]
# Dates a case can carry; beyond them a date is a typing error, not a query.
QueryDate = Annotated[date | None, Query(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
# An instant with its zone (…Z or +08:00): a bare local time would be ambiguous.
QueryInstant = Annotated[AwareDatetime | None, Query()]
