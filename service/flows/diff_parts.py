"""What a version diff reads besides the structure (service/engine/structure.py): the script
of each script task, the expression of each timer event, and the version's DMN tables; and
how the tables of two versions differ (service/flows/diff.py shows it with the elements).

A script or a timer expression changes what a case does without any task changing (a notice
that now lasts longer, a computed value); a DMN table changes who is eligible. Each is shown
as written, the rules of a table matched by id.
"""

from __future__ import annotations

from lxml import etree

from service.engine.xml import parse_xml
from service.flows.schemas import DecisionTableChange, RuleChange

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")


def _text(node: etree._Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def expressions(content: bytes) -> dict[str, dict[str, str]]:
    """Element id → {"script": its script, "timer": its timer's expression}, for the
    elements that have one."""
    found: dict[str, dict[str, str]] = {}
    for node in parse_xml(content).iter(f"{{{BPMN}}}*"):
        element_id = node.get("id")
        if not element_id:
            continue
        local = etree.QName(node).localname
        if local == "scriptTask":
            script = node.find(f"{{{BPMN}}}script")
            if script is not None:
                # Lines kept: a script's layout is part of it; trailing blanks are not.
                text = "\n".join(line.rstrip() for line in (script.text or "").strip().splitlines())
                found.setdefault(element_id, {})["script"] = text
        for definition in node.iterfind(f"{{{BPMN}}}timerEventDefinition"):
            parts = [
                _text(value)
                for part in _TIMER_PARTS
                for value in definition.iterfind(f"{{{BPMN}}}{part}")
            ]
            if any(parts):
                found.setdefault(element_id, {})["timer"] = "; ".join(p for p in parts if p)
    return found


# --- DMN ------------------------------------------------------------------------------------


class _Table:
    """One DMN file's first decision table, as text a person compares."""

    def __init__(self, xml: str) -> None:
        self.hit_policy: str | None = None
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.rules: dict[str, tuple[str, str]] = {}  # id → (description, entries)
        try:
            root = parse_xml(xml.encode("utf-8"))
        except Exception:  # noqa: BLE001 - stored files were checked at upload; never fail a diff
            return
        table = next((n for n in root.iter() if _local(n) == "decisionTable"), None)
        if table is None:
            return
        self.hit_policy = table.get("hitPolicy") or "UNIQUE"
        columns = [n for n in table if _local(n) in ("input", "output")]
        self.inputs = [_column(n) for n in columns if _local(n) == "input"]
        self.outputs = [_column(n) for n in columns if _local(n) == "output"]
        for index, rule in enumerate((n for n in table if _local(n) == "rule"), start=1):
            description = _text(next((n for n in rule if _local(n) == "description"), None))
            ins = [_entry(n) for n in rule if _local(n) == "inputEntry"]
            outs = [_entry(n) for n in rule if _local(n) == "outputEntry"]
            entries = " | ".join(ins) + " → " + " | ".join(outs)
            self.rules[rule.get("id") or f"#{index}"] = (description, entries)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _column(node: etree._Element) -> str:
    expression = next((n for n in node.iter() if _local(n) == "text"), None)
    return node.get("label") or node.get("name") or _text(expression) or node.get("id") or ""


def _entry(node: etree._Element) -> str:
    return _text(next((n for n in node if _local(n) == "text"), None)) or "-"


def _rule_changes(before: _Table, after: _Table) -> list[RuleChange]:
    found = []
    for rule_id, (description, entries) in after.rules.items():
        old = before.rules.get(rule_id)
        if old is None:
            found.append(
                RuleChange(id=rule_id, description=description, change="added", after=entries)
            )
        elif old != (description, entries):
            found.append(
                RuleChange(
                    id=rule_id,
                    description=description or old[0],
                    change="changed",
                    before=old[1],
                    after=entries,
                )
            )
    found += [
        RuleChange(id=rule_id, description=description, change="removed", before=entries)
        for rule_id, (description, entries) in before.rules.items()
        if rule_id not in after.rules
    ]
    return found


def table_changes(
    before: dict[str, str] | None, after: dict[str, str] | None
) -> list[DecisionTableChange]:
    """The DMN files ({file name: XML}) of two versions compared, file by file."""
    before, after = before or {}, after or {}
    found = []
    for name in [*after, *(n for n in before if n not in after)]:
        if name in before and name in after and before[name] == after[name]:
            continue
        old = _Table(before[name]) if name in before else None
        new = _Table(after[name]) if name in after else None
        change = "changed" if old and new else "added" if new else "removed"
        rules = _rule_changes(old or _Table(""), new or _Table(""))
        found.append(
            DecisionTableChange(
                file=name,
                change=change,
                hit_policy_before=old.hit_policy if old else None,
                hit_policy_after=new.hit_policy if new else None,
                inputs_before=old.inputs if old else [],
                inputs_after=new.inputs if new else [],
                outputs_before=old.outputs if old else [],
                outputs_after=new.outputs if new else [],
                rules=rules if change == "changed" else [],
            )
        )
    return found


def counts(
    before_xml: bytes,
    after_xml: bytes,
    before_decisions: dict[str, str] | None,
    after_decisions: dict[str, str] | None,
) -> dict[str, int]:
    """How many elements the version diff finds added, removed and changed (scripts and
    timers included) and how many DMN files changed: what the flow list says of a version."""
    from service.engine.structure import read_structure
    from service.flows import diff

    found = diff.compare(
        read_structure(before_xml),
        read_structure(after_xml),
        from_version=0,
        to_version=1,
        expressions_before=expressions(before_xml),
        expressions_after=expressions(after_xml),
    )
    return {
        "elements_added": len(found.added),
        "elements_removed": len(found.removed),
        "elements_changed": len(found.changed),
        "decision_tables_changed": len(table_changes(before_decisions, after_decisions)),
    }
