"""Languages of the console: zh-CN by default, English by a switch, from a gettext catalogue.

Message ids are the English text, so English needs no catalogue; ``locale/zh_CN`` holds the
Chinese one as a ``.po`` file, compiled in memory at first use (no build step, no stale ``.mo``).
``tests/web/test_i18n.py`` checks that every message the templates and handlers use has a
translation. Money and dates follow Chinese conventions in both languages: ¥3,000.00.
"""

from __future__ import annotations

import datetime as dt
import gettext
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from service.config import get_settings

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
# The lang attribute of <html> (BCP 47) for each language.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is translated later (gettext_noop)."""
    return message


@lru_cache
def translations(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def money(fen: int | None) -> str:
    """An amount in fen as offices write it, whatever the page's language: ¥3,000.00."""
    if fen is None:
        return ""
    return format_currency(Decimal(fen) / 100, "CNY", locale="zh_CN")


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(get_settings().timezone))


def date(value: dt.date | dt.datetime | None, language: str) -> str:
    """2026年11月27日 in Chinese, 2026-11-27 in English (office time zone for instants)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    if language == "en":
        return value.isoformat()
    return format_date(value, "long", locale="zh_CN")


def datetime(value: dt.datetime | None, language: str) -> str:
    """2026年11月27日 15:04 in Chinese, 2026-11-27 15:04 in English, in the office time zone."""
    if value is None:
        return ""
    local = _local(value)
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M")
    return format_datetime(local, "yyyy年M月d日 HH:mm", locale="zh_CN")
