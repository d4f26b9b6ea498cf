"""The BPMN 2.0 schema's verdict on a file, every error of it in an administrator's words.

SpiffWorkflow validates against the schema and stops at the first error, in libxml2's words
(``Element '{http://…}userTask', attribute 'foo': The attribute 'foo' is not allowed.``).
Here every error is found at once, matched to its element (by the error's path or line) and
said with the element's id and what to change.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from service.engine.errors import FlowProblem
from service.engine.xml import identified, local_name

MAX_SCHEMA_PROBLEMS = 50  # one broken modeler export can break the schema a thousand times
_MESSAGE = re.compile(
    r"^Element '(?:\{[^}]*\})?(?P<tag>[^']+)'(?:, attribute '(?:\{[^}]*\})?(?P<attr>[^']+)')?:"
    r" (?P<msg>.*)$",
    re.DOTALL,
)
_NOT_ALLOWED = re.compile(r"The attribute '(?P<a>[^']+)' is not allowed")
_MISSING = re.compile(r"The attribute '(?P<a>[^']+)' is required but missing")
_VALUE = re.compile(r"'(?P<v>.*)' is not a valid value of the \w+ type '(?P<t>[^']+)'", re.DOTALL)
_UNEXPECTED = re.compile(
    r"This element is not expected\.(?: Expected is(?: one of)? \( (?P<e>.*) \))?"
)
_CHILD = re.compile(r"Missing child element\(s\)\. Expected is(?: one of)? \( (?P<e>.*) \)")
_TEXT = re.compile(r"Character content( other than whitespace)? is not allowed")
_KEYREF = re.compile(r"No match found for key-sequence \['(?P<v>[^']*)'\]")
_DUPLICATE = re.compile(r"Duplicate key-sequence \['(?P<v>[^']*)'\]")
_CLARK = re.compile(r"\{[^}]*\}")
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
# What a value of a schema type looks like, for "write …".
_TYPES = {
    "xs:boolean": "true or false",
    "xs:ID": "an id: a letter or _ then letters, digits, _ - or ., unique in the file",
    "xs:IDREF": "the id of an element of the file",
    "xs:QName": "the id of an element of the file",
    "xs:integer": "a whole number",
    "xs:double": "a number",
    "xs:float": "a number",
    "xs:int": "a whole number",
    "xs:anyURI": "a URI",
}


def _expected(schema_type: str, attribute: str) -> str:
    """What to write instead of a value of ``schema_type`` the schema refused."""
    if attribute == "isExecutable":
        return 'isExecutable="true" on the process the service should run'
    return _TYPES.get(schema_type, f"a value of type {schema_type}")


# The diagram's own elements (BPMN DI), by what a modeler shows of them.
_DIAGRAM_WORDS = {
    "BPMNShape": "diagram shape",
    "BPMNEdge": "diagram edge",
    "BPMNPlane": "diagram plane",
    "BPMNDiagram": "diagram",
    "BPMNLabel": "diagram label",
}


def kind_words(tag: str) -> str:
    """``userTask`` → ``user task``: what people call an element (``BPMNShape`` → ``diagram
    shape``, not ``bpmnshape``)."""
    if tag in _DIAGRAM_WORDS:
        return _DIAGRAM_WORDS[tag]
    return re.sub(r"([a-z])([A-Z])", r"\1 \2", tag).lower()


_DMN_SCHEMAS: dict[str, etree.XMLSchema] = {}


def dmn_schema(namespace: str | None) -> etree.XMLSchema | None:
    """The schema of a DMN version SpiffWorkflow reads (1.1, 1.2, 1.3), by its namespace."""
    path = DMN_SCHEMAS.get(namespace or "")
    if path is None:
        return None
    if path not in _DMN_SCHEMAS:
        with open(path, "rb") as xsd:
            _DMN_SCHEMAS[path] = etree.XMLSchema(etree.parse(xsd))
    return _DMN_SCHEMAS[path]


def schema_problems(
    root: etree._Element, schema: etree.XMLSchema | None = None, standard: str = "BPMN 2.0"
) -> list[FlowProblem]:
    """Every error of the BPMN 2.0 schema (or ``schema``, of ``standard``) in ``root``, at
    most ``MAX_SCHEMA_PROBLEMS``."""
    if schema is None:
        VALIDATOR.preprocess(root)  # as SpiffWorkflow does: bpmn-js's correlation expressions
        schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    namespaces = {prefix: uri for prefix, uri in root.nsmap.items() if prefix}
    by_line: dict[int, list[etree._Element]] = {}
    for element in root.iter():
        if isinstance(element.tag, str):
            by_line.setdefault(element.sourceline or 0, []).append(element)
    problems = []
    for error in list(schema.error_log)[:MAX_SCHEMA_PROBLEMS]:
        element = _element_of(root, error, namespaces, by_line)
        problems.append(schema_problem(element, error.message, error.line, standard))
    return problems


def _element_of(
    root: etree._Element,
    error: Any,
    namespaces: dict[str, str],
    by_line: dict[int, list[etree._Element]],
) -> etree._Element | None:
    try:
        found = root.getroottree().xpath(error.path, namespaces=namespaces)
    except (etree.XPathError, TypeError):
        found = []
    if found and isinstance(found[0], etree._Element):
        return found[0]
    match = _MESSAGE.match(error.message)
    tag = match.group("tag") if match else None
    candidates = by_line.get(error.line, [])
    for element in candidates:
        if tag is None or etree.QName(element).localname == tag:
            return element
    return candidates[0] if candidates else None


def _named(element: etree._Element | None) -> tuple[str | None, str]:
    """The id a refusal names (the element's, or the nearest above it that has one) and how
    the element is called in the reason."""
    if element is None:
        return None, "an element"
    kind = kind_words(local_name(element))
    owner = identified(element)
    if owner is not None:
        found = (owner.get("id") or "").strip()
        if owner is element:
            return found, f"{kind} {found!r}"
        return found, f"the {kind} inside {kind_words(local_name(owner))} {found!r}"
    if element.getparent() is None:  # the file's root, bpmn:definitions, without an id
        return str(etree.QName(element).localname), f"the file's {kind}"
    return None, f"the {kind} (line {element.sourceline})"


def _names(listed: str | None) -> str:
    names = [_CLARK.sub("", name).strip() for name in (listed or "").split(",")]
    names = [name for name in names if name and name != "##other"]
    shown = ", ".join(names[:8])
    return shown + (", …" if len(names) > 8 else "")


def schema_problem(
    element: etree._Element | None, message: str, line: int | None, standard: str = "BPMN 2.0"
) -> FlowProblem:
    """One libxml2 schema error as a reason naming the element and what to change."""
    element_id, who = _named(element)
    match = _MESSAGE.match(message)
    tag = (
        match.group("tag")
        if match
        else (etree.QName(element).localname if element is not None else "")
    )
    attribute = (match.group("attr") if match else None) or ""
    text = match.group("msg") if match else message
    params: dict[str, Any] = {"element": element_id, "tag": tag, "attribute": attribute}
    if found := _NOT_ALLOWED.search(text):
        attribute = found.group("a")
        reason = f"{who}: {standard} does not allow the attribute {attribute!r} here: remove it"
        code = _code(code="flow-schema-attribute-not-allowed")
    elif found := _MISSING.search(text):
        attribute = found.group("a")
        reason = f"{who}: the attribute {attribute!r} is required: set it"
        code = _code(code="flow-schema-attribute-missing")
    elif (
        (found := _VALUE.search(text))
        and found.group("t") == "xs:ID"
        and _NCNAME.match(found.group("v"))
    ):
        # A well-formed id the schema refuses is one another element already has.
        params["value"] = found.group("v")
        reason = f"{who}: the id {found.group('v')!r} is used twice: give each element its own id"
        code = _code(code="flow-schema-id-duplicate")
    elif found := _VALUE.search(text):
        expected = _expected(found.group("t"), attribute)
        params["value"] = found.group("v")
        reason = (
            f"{who}: {attribute or 'the value'} {found.group('v')!r} is not valid; write {expected}"
        )
        code = _code(code="flow-schema-value-invalid")
    elif found := _UNEXPECTED.search(text):
        expected = _names(found.group("e"))
        params["expected"] = expected
        where = f"; expected here: {expected}" if expected else ""
        reason = (
            f"{who}: {standard} does not allow a <{tag}> at this place: move or remove it{where}"
        )
        code = _code(code="flow-schema-element-unexpected")
    elif found := _CHILD.search(text):
        expected = _names(found.group("e"))
        params["expected"] = expected
        reason = f"{who} lacks a required element: add one of {expected}"
        code = _code(code="flow-schema-child-missing")
    elif _TEXT.search(text):
        reason = f"{who} holds text where {standard} allows only elements: remove the text"
        code = _code(code="flow-schema-text-not-allowed")
    elif found := _KEYREF.search(text) or _DUPLICATE.search(text):
        params["value"] = found.group("v")
        if text.startswith("Duplicate"):
            reason = (
                f"{who}: the id {found.group('v')!r} is used twice: give each element its own id"
            )
            code = _code(code="flow-schema-id-duplicate")
        else:
            reason = (
                f"{who}: {found.group('v')!r} is the id of no element of the file: "
                "fix the reference"
            )
            code = _code(code="flow-schema-reference-unknown")
    else:
        detail = _CLARK.sub("", text).strip().rstrip(".")
        params["detail"] = detail
        reason = f"{who} does not follow the {standard} schema ({detail}): correct it in a modeler"
        code = _code(code="flow-schema-invalid")
    params["attribute"] = attribute
    return FlowProblem(element_id, reason, code=code, params=params)


def _code(*, code: str) -> str:
    """A problem code named where it is chosen (tests/test_problem_codes.py reads ``code=``)."""
    return code
