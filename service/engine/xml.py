"""Hardened XML parsing for untrusted BPMN: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

import re

from lxml import etree

from service.engine.errors import InvalidFlow

MAX_ELEMENTS = 20_000
# Refused before lxml sees the bytes: DTDs are how entity bombs and external entities arrive.
_DTD_MARKERS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser(*, remove_pis: bool = True) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=remove_pis,
    )


def parse_xml(content: bytes, *, keep_processing_instructions: bool = False) -> etree._Element:
    """Parse BPMN/DMN bytes into an element tree, refusing anything DTD-shaped. Processing
    instructions are dropped unless kept for ``markup.markup_problems`` to refuse them."""
    if _DTD_MARKERS.search(content):
        raise InvalidFlow(
            "DOCTYPE and ENTITY declarations are not allowed in flows", code="xml-doctype-forbidden"
        )
    try:
        parser = _parser(remove_pis=not keep_processing_instructions)
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as error:
        raise InvalidFlow(
            f"not well-formed XML: {error}", code="xml-malformed", params={"error": str(error)}
        ) from None
    if root.getroottree().docinfo.doctype:
        raise InvalidFlow(
            "DOCTYPE declarations are not allowed in flows", code="xml-doctype-forbidden"
        )
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise InvalidFlow(
            f"flow has {count} elements; the limit is {MAX_ELEMENTS}",
            code="xml-too-many-elements",
            params={"count": count, "limit": MAX_ELEMENTS},
        )
    return root


def local_name(element: etree._Element) -> str:
    """``{namespace}userTask`` → ``userTask``."""
    return str(etree.QName(element).localname)


def identified(element: etree._Element | None) -> etree._Element | None:
    """The element itself, or the nearest element above it, with an id: what a refusal
    names (an element without one is refused as such too)."""
    while element is not None and not (element.get("id") or "").strip():
        element = element.getparent()
    return element


def nearest_id(element: etree._Element | None) -> str | None:
    """The id of ``identified(element)``, or None when nothing up to the root has one."""
    found = identified(element)
    return (found.get("id") or "").strip() if found is not None else None
