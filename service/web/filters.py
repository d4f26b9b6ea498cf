"""What the console's search forms share (the case list, the audit trail): the filters as
typed with a message per field that cannot be a filter, the query string of a page's links,
and the date range of a "from"/"to" pair."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode

from service.web.i18n import N_

REGION = re.compile(r"^\d{6,12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The days a form accepts: a typed 0001-01-01 is a slip, not a search.
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)

Query = TypeVar("Query")


@dataclass
class Search(Generic[Query]):
    """The page's filters as typed (text), the service's query, and a message per field."""

    values: dict[str, str]
    query: Query
    errors: dict[str, str] = field(default_factory=dict)

    def link(self, **extra: str | int) -> str:
        """The query string of these filters (set ones only) and ``extra``."""
        params = {name: value for name, value in self.values.items() if value}
        return urlencode({**params, **{k: str(v) for k, v in extra.items()}})


def _date(text: str) -> dt.date | None:
    if not _DATE.match(text):
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if _FIRST_DAY <= day <= _LAST_DAY else None


def date_range(
    values: dict[str, str], errors: dict[str, str]
) -> tuple[dt.date | None, dt.date | None]:
    """The days of the "from" and "to" fields (the last one included); a date that cannot be
    read, or a last day before the first, gets a message in ``errors``."""
    days: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        days[name] = _date(values[name]) if values[name] else None
        if values[name] and days[name] is None:
            errors[name] = N_("Enter a date as 2026-01-31.")
    first, last = days["from"], days["to"]
    if first and last and first > last:
        errors["to"] = N_("The last day comes before the first.")
    return first, last
