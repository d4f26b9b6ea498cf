"""What a flow's elements are called, in Chinese and English, and the decisions a task offers.

The convention (docs/architecture.md, "Names in two languages"):

- An element's ``name`` is its Chinese name. Its English name is a SpiffWorkflow extension
  property ``name.en``, the same mechanism as a task's ``field.*`` declarations::

      <bpmn:userTask id="correction" name="补正材料">
        <bpmn:extensionElements>
          <spiffworkflow:properties>
            <spiffworkflow:property name="name.en" value="correction" />
          </spiffworkflow:properties>
        </bpmn:extensionElements>

- A flow without ``name.en`` (versions stored before the convention) is read by the legacy
  rule: a name "中文 English words" splits at the space between its Chinese part and an ASCII
  part; any other name is both names.
- A user task declares the decisions it offers as ``decision.<code>`` properties, ``code``
  one of approve, reject, return (the API's decisions), the value ``中文 | English``, optionally
  followed by ``| 中文说明 | English hint`` (or one hint for both). A task that declares none
  offers approve, reject and return under their usual names.
- Lanes stay named by role code; a diagram shown to people shows the role's name
  (``display_names``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from service.engine.elements import BPMN_NS, SPIFF_NS
from service.engine.xml import parse_xml

NAME_EN = "name.en"
DECISION_PREFIX = "decision."
DECISION_CODES = ("approve", "reject", "return")
# Chinese (CJK ideographs, punctuation, full-width forms) then spaces then ASCII to the end.
_LEGACY = re.compile(
    r"^(.*[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])\s+([\x20-\x7e]*[A-Za-z][\x20-\x7e]*)$"
)


def legacy_names(name: str) -> tuple[str, str]:
    """(Chinese, English) of a name written "中文 English words"; any other name is both."""
    name = " ".join(name.split())
    match = _LEGACY.match(name)
    if match is None:
        return name, name
    return match.group(1).strip(), match.group(2).strip()


def element_names(name: str | None, properties: Mapping[str, Any] | None) -> tuple[str, str]:
    """(Chinese, English) of an element from its ``name`` and extension properties."""
    english = str((properties or {}).get(NAME_EN) or "").strip()
    if english:
        return " ".join((name or "").split()) or english, english
    return legacy_names(name or "")


def spec_names(task_spec: Any) -> tuple[str, str]:
    """(Chinese, English) of a SpiffWorkflow task spec; its BPMN id when it has no name."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    zh, en = element_names(task_spec.bpmn_name, properties)
    return zh or task_spec.bpmn_id, en or zh or task_spec.bpmn_id


@dataclass(frozen=True)
class DecisionOption:
    """One decision a task offers: the API's code and what the task calls it."""

    code: str
    name_zh: str
    name_en: str
    hint_zh: str = ""
    hint_en: str = ""

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en

    def hint(self, language: str) -> str:
        return self.hint_zh if language.startswith("zh") else self.hint_en


DEFAULT_DECISIONS = (
    DecisionOption("approve", "同意", "Approve"),
    DecisionOption("reject", "驳回", "Reject"),
    DecisionOption("return", "退回补正", "Return for correction"),
)


def declared_decisions(
    properties: Mapping[str, Any],
) -> tuple[tuple[DecisionOption, ...], list[str]]:
    """The decisions a task's properties declare (the defaults when none), and the reasons
    any declaration is unreadable."""
    options, problems = [], []
    for key, value in properties.items():
        if not key.startswith(DECISION_PREFIX):
            continue
        code = key[len(DECISION_PREFIX) :]
        if code not in DECISION_CODES:
            problems.append(
                f"property {key!r}: {code!r} is not a decision; declare "
                + ", ".join(f"{DECISION_PREFIX}{c}" for c in DECISION_CODES)
            )
            continue
        parts = [part.strip() for part in str(value or "").split("|")]
        if len(parts) not in (2, 3, 4) or not parts[0] or not parts[1]:
            problems.append(
                f"property {key!r}: write the value as '中文 | English', optionally followed "
                "by '| 中文说明 | English hint'; both names are required"
            )
            continue
        hints = parts[2:] if len(parts) == 4 else parts[2:] * 2 or ["", ""]
        options.append(DecisionOption(code, parts[0], parts[1], hints[0], hints[1]))
    return (tuple(options) or DEFAULT_DECISIONS), problems


def display_names(xml: bytes, language: str, role_names: Mapping[str, str]) -> bytes:
    """A flow's BPMN as shown to people: each element named in ``language`` (the ``zh`` or
    English name by the convention above), each lane by its role's name in ``role_names``
    (lanes are named by role code). Ids, conditions and everything else are unchanged."""
    root = parse_xml(xml)
    property_tag = f"{{{SPIFF_NS}}}property"
    chinese = language.startswith("zh")
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        name = element.get("name")
        local = etree.QName(element).localname
        if name is None or local in ("signal", "process"):
            continue
        if local == "lane":
            element.set("name", role_names.get(name.strip(), name))
            continue
        properties = {
            prop.get("name"): prop.get("value")
            for prop in element.iterfind(f"{{{BPMN_NS}}}extensionElements//{property_tag}")
        }
        zh, en = element_names(name, properties)
        element.set("name", zh if chinese else en)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
