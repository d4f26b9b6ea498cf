"""The console's Chinese catalogue is complete, and money and dates follow Chinese conventions.

Every message the handlers (``_``, ``N_``) and templates (``_``, ``ngettext``) of service/web
use is extracted as ``make i18n`` does (the method map of babel.cfg) and must have a
translation in service/web/locale/zh_CN/LC_MESSAGES/messages.po that is neither empty nor
fuzzy, keeping the message's ``%(name)s`` placeholders. No server needed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from service.web import i18n

ROOT = Path(__file__).resolve().parents[2]
WEB = "service/web"
CATALOGUE = ROOT / WEB / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
# A printf-style named placeholder: %(num)d, %(name)s, %(max)5.2f …
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _within_web(path: str) -> bool:
    """Walk only towards and inside service/web (not the virtualenv or the rest)."""
    relative = Path(path).resolve().relative_to(ROOT).as_posix()
    return WEB.startswith(relative + "/") or relative == WEB or relative.startswith(WEB + "/")


def _extracted() -> dict[str, tuple[str, ...]]:
    """msgid → (msgid, msgid_plural?) of every message service/web uses."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[str, tuple[str, ...]] = {}
    for _path, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_within_web,
    ):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found.setdefault(forms[0], forms)
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[str, ...]]:
    found = _extracted()
    assert len(found) > 50, "extraction found almost nothing: is babel.cfg's map right?"
    return found


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="zh_CN")


def _translations(message: Message) -> list[str]:
    strings = message.string
    return list(strings) if isinstance(strings, (tuple, list)) else [strings]


def _placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text))


def test_the_extraction_sees_handlers_templates_and_n_marks(
    extracted: dict[str, tuple[str, ...]],
) -> None:
    assert "Log in" in extracted  # login.html
    assert "Page not found" in extracted  # errors.py, marked with N_
    assert extracted["%(num)d task"] == ("%(num)d task", "%(num)d tasks")  # ngettext


def test_every_message_of_the_console_is_translated_to_chinese(
    extracted: dict[str, tuple[str, ...]], catalogue: Catalog
) -> None:
    missing, empty, fuzzy = [], [], []
    for msgid in extracted:
        message = catalogue.get(msgid)
        if message is None:
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif not all(s.strip() for s in _translations(message)):
            empty.append(msgid)
    report = [
        f"{what} ({len(ids)}):\n  " + "\n  ".join(sorted(ids))
        for what, ids in (
            ("not in the catalogue", missing),
            ("untranslated", empty),
            ("fuzzy", fuzzy),
        )
        if ids
    ]
    assert not report, f"{CATALOGUE.relative_to(ROOT)}:\n" + "\n".join(report)


def test_translations_keep_the_placeholders_of_their_message(catalogue: Catalog) -> None:
    """A python-format message's translation has the same %(name)s placeholders (a missing
    one loses a number, an unknown one breaks the page with a KeyError)."""
    wrong = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        forms = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        msgid = forms[0]
        expected = _placeholders(forms[-1])  # Chinese has one form: the plural's placeholders
        for translation in _translations(message):
            if translation and _placeholders(translation) != expected:
                wrong.append(f"{msgid!r} → {translation!r}")
    assert not wrong, "placeholders changed in translation:\n  " + "\n  ".join(sorted(wrong))


def test_money_is_written_the_chinese_way_in_both_languages() -> None:
    # One formatter for every page language: offices write amounts this way in both.
    assert i18n.money(300000) == "¥3,000.00"
    assert i18n.money(123456789) == "¥1,234,567.89"
    assert i18n.money(5) == "¥0.05"
    assert i18n.money(None) == ""


def test_dates_are_written_the_chinese_way() -> None:
    day = dt.date(2026, 11, 27)
    assert i18n.date(day, "zh_CN") == "2026年11月27日"
    assert i18n.date(day, "en") == "2026-11-27"
    # An instant is shown on the office's calendar (China Standard Time by default).
    late = dt.datetime(2026, 11, 27, 17, 4, tzinfo=dt.UTC)
    assert i18n.date(late, "zh_CN") == "2026年11月28日"
    assert i18n.datetime(dt.datetime(2026, 11, 27, 7, 4, tzinfo=dt.UTC), "zh_CN") == (
        "2026年11月27日 15:04"
    )
    assert i18n.date(None, "zh_CN") == ""
