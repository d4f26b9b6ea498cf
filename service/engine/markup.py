"""What an uploaded BPMN or DMN file may carry besides the model: nothing a browser acts on.

A flow's XML is served back (downloads, the console's diagram). A processing instruction such
as ``<?xml-stylesheet?>`` makes a browser fetch and run XSLT; an XHTML, SVG or MathML element
(``<html:meta http-equiv="refresh">`` in a task's documentation) is rendered as such in an XML
document. So an upload holds only the model's own namespaces (BPMN and DMN with their diagram
interchange, XML Schema instance types, SpiffWorkflow's extensions) and the modelers' colour
and platform attributes; documentation and annotations hold text only. Anything else is
refused, naming the element that holds it, not removed: the version stored stays byte for byte
what the administrator uploaded (its SHA-256 is in the trail), and the administrator learns
what their modeler added.
"""

from __future__ import annotations

from lxml import etree

from service.engine.conventions import CANDIDATE_GROUPS
from service.engine.elements import BPMN_NS, SPIFF_NS
from service.engine.errors import FlowProblem, InvalidFlow
from service.engine.xml import nearest_id, parse_xml

# Namespaces whose elements a flow file may hold.
ELEMENT_NAMESPACES = frozenset(
    {
        BPMN_NS,
        "http://www.omg.org/spec/BPMN/20100524/DI",
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://www.omg.org/spec/DD/20100524/DI",
        SPIFF_NS,
        # DMN 1.1, 1.2 and 1.3 (the versions SpiffWorkflow reads) and their diagrams.
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/DMNDI/",
        "http://www.omg.org/spec/DMN/20180521/DC/",
        "http://www.omg.org/spec/DMN/20180521/DI/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/DMNDI/",
        # bpmn.io's DMN layout (bounds and edges of DMN 1.1 tables).
        "http://bpmn.io/schema/dmn/biodi/1.0",
        "http://bpmn.io/schema/dmn/biodi/2.0",
    }
)
# Namespaces of attributes, besides the elements' own: types, xml:lang, and what modelers
# write on shapes and the root (colours, the target platform); none of them means anything
# to a browser.
ATTRIBUTE_NAMESPACES = ELEMENT_NAMESPACES | {
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
    "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
    "http://camunda.org/schema/modeler/1.0",
}
# Elements whose content is text for people: no element inside.
TEXT_ONLY = frozenset({"documentation", "text", "description"})


def markup_problems(content: bytes) -> list[FlowProblem]:
    """Every processing instruction and every element or attribute outside the allowed
    namespaces in one flow file; an element inside documentation or an annotation's text.
    A file that does not parse gives none here (``parse_xml`` refuses it on its own)."""
    try:
        root = parse_xml(content, keep_processing_instructions=True)
    except InvalidFlow:
        return []
    problems = [
        _instruction(node, owner=None)
        for node in (*root.itersiblings(preceding=True), *root.itersiblings())
        if isinstance(node, etree._ProcessingInstruction)
    ]
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, etree._ProcessingInstruction):
            problems.append(_instruction(node, owner=_owner(node)))
        elif isinstance(node.tag, str):
            found = _element_problems(node)
            problems += found
            if not _is_foreign(node):  # a refused element is named once, not its inside
                pending.extend(reversed(node))
    return problems


def _is_foreign(element: etree._Element) -> bool:
    return etree.QName(element).namespace not in ELEMENT_NAMESPACES


# Other engines' attributes that state a convention of the service (who acts on a task).
CONVENTION_ATTRIBUTES = frozenset(CANDIDATE_GROUPS)
# Other engines' extensions: forms, listeners, connectors, assignees. Refused like any other
# foreign markup, in words that say whose they are.
ENGINES = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda",
    "http://camunda.org/schema/zeebe/1.0": "Camunda 8 (Zeebe)",
    "http://activiti.org/bpmn": "Activiti",
    "http://flowable.org/bpmn": "Flowable",
    "http://www.signavio.com": "Signavio",
    "http://www.jboss.org/drools": "jBPM",
    "http://www.bonitasoft.org/studio/bpmn": "Bonita",
}


def _extension(owner: str | None, shown: str, engine: str, where: str) -> FlowProblem:
    return FlowProblem(
        owner,
        f"{shown}{where} is an extension of {engine}, which this service does not read "
        "(its forms, listeners, connectors and assignees do not apply here; who acts on a "
        "task is its lane's role or camunda:candidateGroups): remove it",
        code="flow-extension-foreign",
        params={"element": owner, "tag": shown, "engine": engine},
    )


def _element_problems(element: etree._Element) -> list[FlowProblem]:
    name = etree.QName(element)
    problems = []
    engine = ENGINES.get(name.namespace or "")
    if engine is not None:
        problems.append(_extension(_owner(element), _shown(element.prefix, name), engine, ""))
    elif _is_foreign(element):
        problems.append(
            FlowProblem(
                _owner(element),
                f"element {_shown(element.prefix, name)} is not part of BPMN or DMN "
                f"({_namespace(name.namespace)}); flows hold no markup of other vocabularies "
                "(such as XHTML or SVG) nor other engines' extensions: remove it",
                code="flow-markup-element",
                params={"element": _owner(element), "tag": _shown(element.prefix, name)},
            )
        )
    else:
        parent = element.getparent()
        if parent is not None and etree.QName(parent).localname in TEXT_ONLY:
            problems.append(
                FlowProblem(
                    _owner(element),
                    f"{etree.QName(parent).localname} holds text only, not the element "
                    f"{_shown(element.prefix, name)}: remove it",
                    code="flow-markup-in-text",
                    params={"element": _owner(element), "tag": _shown(element.prefix, name)},
                )
            )
    for attribute in element.attrib:
        found = etree.QName(attribute)
        if attribute in CONVENTION_ATTRIBUTES:
            continue
        engine = ENGINES.get(found.namespace or "")
        if engine is not None:
            prefix = next((p for p, uri in element.nsmap.items() if uri == found.namespace), None)
            shown = f"{prefix}:{found.localname}" if prefix else found.localname
            where = f" on {_shown(element.prefix, name)}"
            problems.append(_extension(_owner(element), shown, engine, where))
        elif found.namespace and found.namespace not in ATTRIBUTE_NAMESPACES:
            problems.append(
                FlowProblem(
                    _owner(element),
                    f"attribute {found.localname!r} in {_namespace(found.namespace)} on "
                    f"{_shown(element.prefix, name)} is not part of BPMN or DMN: remove it",
                    code="flow-markup-attribute",
                    params={
                        "element": _owner(element),
                        "attribute": found.localname,
                        "tag": _shown(element.prefix, name),
                    },
                )
            )
    return problems


def _instruction(node: etree._ProcessingInstruction, *, owner: str | None) -> FlowProblem:
    return FlowProblem(
        owner,
        f"processing instruction <?{node.target}?> is not allowed in flows (a browser "
        "would act on it): remove it",
        code="flow-markup-instruction",
        params={"element": owner, "target": node.target},
    )


def _owner(node: etree._Element) -> str | None:
    """The id a refusal names: the node's (a processing instruction's element's), or the
    nearest above it."""
    return nearest_id(node if isinstance(node.tag, str) else node.getparent())


def _shown(prefix: str | None, name: etree.QName) -> str:
    return f"<{prefix}:{name.localname}>" if prefix else f"<{name.localname}>"


def _namespace(uri: str | None) -> str:
    return f"namespace {uri}" if uri else "no namespace"
