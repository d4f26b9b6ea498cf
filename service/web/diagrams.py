"""A flow's diagram as the console shows it: each element named in the page's language and
each lane by its role's name (lanes are named by role code; service/engine/names.py).

Served inert like every flow XML the console hands out (plain text in a sandbox): it is an
administrator's upload, read by diagram.js with fetch, never rendered by a browser.
"""

from __future__ import annotations

from functools import lru_cache

import anyio
from fastapi import Response

from service.engine import InvalidFlow, display_names
from service.http import downloads
from service.web import i18n
from service.web.vocabulary import TERMS


@lru_cache(maxsize=32)
def _shown(xml: str, language: str) -> bytes:
    gettext = i18n.translations(language).gettext
    roles = {code: gettext(label) for code, label in TERMS["role"].items()}
    return display_names(xml.encode("utf-8"), language, roles)


def named(xml: str, language: str) -> str:
    """A refused upload's drawable XML with the names of ``language``; as it is when it cannot
    be read (the refusal may be that it is not well-formed BPMN)."""
    try:
        return _shown(xml, language).decode("utf-8")
    except InvalidFlow:
        return xml


async def shown(xml: str, language: str) -> Response:
    """``xml`` (a stored flow version's BPMN) with the names of ``language``, served inert."""
    content = await anyio.to_thread.run_sync(_shown, xml, language)
    return downloads.inert_text(content.decode("utf-8"))
