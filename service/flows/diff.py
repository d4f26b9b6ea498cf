"""What changed between two versions of a flow, element by element: a pure function of their
structures (service/engine/structure.py), shown by the version diff page and the API.

Elements are matched by id (a modeler keeps ids as it edits). Each is named by its name and
lane, an unnamed one (a gateway) by the element leading into it. What changed is listed per
attribute: name, type, lane, deadline, the decisions (with their hints) and fields of a user
task, an end's status, a script task's script, a timer event's expression, and each outgoing
sequence flow by the element it leads to — added, removed, or its condition, default, name or
target changed. Flows are matched by their target, so that swapping two branches' conditions
and swapping their targets read the same (on each branch, the condition before and after);
a flow whose id is on both sides with another target was re-targeted: one change, naming
where it led before and where it leads now.

Names that several elements share (every timer is 超期, every escalation's end 督办) are told
apart by the task a boundary event is attached to and the element leading into the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service.engine.structure import Element, SequenceFlow, Structure
from service.flows.schemas import (
    AttributeChange,
    DecisionRead,
    DecisionsChange,
    ElementDiff,
    ElementRef,
    FieldsChange,
    FlowChange,
    FlowDiff,
    NameChange,
    TextChange,
)


def reference(structure: Structure, element_id: str) -> ElementRef:
    """An element of ``structure`` as a person finds it (an id alone where it is missing)."""
    element = structure.elements.get(element_id)
    if element is None:
        return ElementRef(id=element_id, type="", name="", lane=None)
    return ElementRef(id=element.id, type=element.type, **_naming(structure, element))


def _attached(structure: Structure, element: Element) -> Element | None:
    if element.type != "boundaryEvent" or not element.attached_to:
        return None
    return structure.elements.get(element.attached_to)


def _shared(structure: Structure, element: Element) -> bool:
    """Whether another element has its name (超期, 督办: one per task)."""
    return any(
        other.name == element.name and other.id != element.id
        for other in structure.elements.values()
    )


def _naming(structure: Structure, element: Element) -> dict[str, str | None]:
    named: dict[str, str | None] = {
        "name": element.name,
        "name_en": element.name_en,
        "lane": element.lane,
    }
    task = _attached(structure, element)
    if task is not None:
        named["on"], named["on_en"] = task.name, task.name_en
        return named
    if not element.name or _shared(structure, element):
        # The element leading into it; a timer's end by the task whose timer leads there.
        leading = [
            _attached(structure, source) or source
            for flow in structure.flows.values()
            if flow.target == element.id
            and (source := structure.elements.get(flow.source)) is not None
        ]
        names = {(e.name, e.name_en) for e in leading if e.name}
        if len(names) == 1:
            named["after"], named["after_en"] = names.pop()
    return named


def _decisions(element: Element) -> list[DecisionRead]:
    return [
        DecisionRead(
            code=option.code,
            name=option.name_zh,
            name_en=option.name_en,
            hint=option.hint_zh,
            hint_en=option.hint_en,
        )
        for option in element.decisions
    ]


def _outgoing(structure: Structure, element_id: str) -> dict[str, list[SequenceFlow]]:
    by_target: dict[str, list[SequenceFlow]] = {}
    for flow in structure.outgoing(element_id):
        by_target.setdefault(flow.target, []).append(flow)
    return by_target


def _flow_change(
    before: Structure, after: Structure, old: SequenceFlow | None, new: SequenceFlow | None
) -> FlowChange | None:
    if old is not None and new is not None:
        same = (old.target, old.condition, old.default, old.name, old.name_en) == (
            new.target,
            new.condition,
            new.default,
            new.name,
            new.name_en,
        )
        if same:
            return None
    change = "changed" if old and new else "added" if new else "removed"
    target = reference(after, new.target) if new else reference(before, old.target if old else "")
    moved = old is not None and new is not None and old.target != new.target
    return FlowChange(
        change=change,
        target=target,
        target_before=reference(before, old.target) if moved and old else None,
        flow_before=old.id if old else None,
        flow_after=new.id if new else None,
        condition_before=old.condition if old else None,
        condition_after=new.condition if new else None,
        default_before=old.default if old else False,
        default_after=new.default if new else False,
        name_before=old.name if old else "",
        name_after=new.name if new else "",
        name_before_en=old.name_en if old else "",
        name_after_en=new.name_en if new else "",
    )


def _pairs(
    olds: list[SequenceFlow], news: list[SequenceFlow]
) -> list[tuple[SequenceFlow | None, SequenceFlow | None]]:
    """Flows to one target paired: the same id first, then the others in document order."""
    ids = {flow.id for flow in olds} & {flow.id for flow in news}
    paired: list[tuple[SequenceFlow | None, SequenceFlow | None]] = [
        (old, next(new for new in news if new.id == old.id)) for old in olds if old.id in ids
    ]
    rest_old = [flow for flow in olds if flow.id not in ids]
    rest_new = [flow for flow in news if flow.id not in ids]
    for index in range(max(len(rest_old), len(rest_new))):
        paired.append(
            (
                rest_old[index] if index < len(rest_old) else None,
                rest_new[index] if index < len(rest_new) else None,
            )
        )
    return paired


def _flow_changes(before: Structure, after: Structure, element_id: str) -> list[FlowChange]:
    """The outgoing flows of an element, matched by target (the same id first, then in
    document order); a flow left alone on each side under the same id was re-targeted."""
    old, new = _outgoing(before, element_id), _outgoing(after, element_id)
    pairs: list[tuple[SequenceFlow | None, SequenceFlow | None]] = []
    for target in [*new, *(t for t in old if t not in new)]:
        pairs += _pairs(old.get(target, []), new.get(target, []))
    gone = {o.id: o for o, n in pairs if o is not None and n is None}
    came = {n.id: n for o, n in pairs if n is not None and o is None}
    found = []
    for old_flow, new_flow in pairs:
        if old_flow is None and new_flow is not None and new_flow.id in gone:
            old_flow = gone[new_flow.id]  # re-targeted: one change, both targets named
        elif new_flow is None and old_flow is not None and old_flow.id in came:
            continue  # said with its new target
        change = _flow_change(before, after, old_flow, new_flow)
        if change is not None:
            found.append(change)
    return found


def _attribute_changes(old: Element, new: Element) -> list[AttributeChange]:
    found: list[AttributeChange] = []
    if (old.name, old.name_en) != (new.name, new.name_en):
        found.append(
            NameChange(before=old.name, after=new.name, before_en=old.name_en, after_en=new.name_en)
        )
    for attribute in ("type", "lane", "status"):
        if getattr(old, attribute) != getattr(new, attribute):
            found.append(
                TextChange(
                    attribute=attribute,
                    before=getattr(old, attribute),
                    after=getattr(new, attribute),
                )
            )
    user_task = old.is_user_task or new.is_user_task
    if user_task and (old.deadline != new.deadline or old.is_user_task != new.is_user_task):
        found.append(TextChange(attribute="deadline", before=old.deadline, after=new.deadline))
    if _decisions(old) != _decisions(new):
        found.append(DecisionsChange(before=_decisions(old), after=_decisions(new)))
    if old.fields != new.fields:
        found.append(FieldsChange(before=dict(old.fields), after=dict(new.fields)))
    return found


Expressions = Mapping[str, Mapping[str, str]]  # element id → {"script"|"timer": text}


def _expression_changes(
    structure: Structure, element: Element, old: Mapping[str, str], new: Mapping[str, str]
) -> list[AttributeChange]:
    """A script task's script, and a timer's expression unless it is a user task's deadline
    (said as the task's deadline)."""
    found: list[AttributeChange] = []
    deadline = (task := _attached(structure, element)) is not None and task.is_user_task
    for attribute in ("script", "timer"):
        if attribute == "timer" and deadline:
            continue
        if old.get(attribute) != new.get(attribute):
            found.append(
                TextChange(attribute=attribute, before=old.get(attribute), after=new.get(attribute))
            )
    return found


def _described(element: Element) -> list[AttributeChange]:
    """What an added element is, said as changes from nothing."""
    found: list[AttributeChange] = []
    if element.is_user_task:
        found.append(TextChange(attribute="deadline", before=None, after=element.deadline))
        found.append(DecisionsChange(before=[], after=_decisions(element)))
        if element.fields:
            found.append(FieldsChange(before={}, after=dict(element.fields)))
    if element.status is not None:
        found.append(TextChange(attribute="status", before=None, after=element.status))
    return found


def _diff(structure: Structure, element: Element, change: str) -> ElementDiff:
    return ElementDiff(
        id=element.id,
        type=element.type,
        change=change,
        **_naming(structure, element),
    )


def compare(
    before: Structure,
    after: Structure,
    *,
    from_version: int,
    to_version: int,
    expressions_before: Expressions | None = None,
    expressions_after: Expressions | None = None,
) -> FlowDiff:
    """What changed from ``before`` to ``after`` (see the module's docstring); scripts and
    timers are compared where their ``expressions`` are given (diff_parts.expressions)."""
    added, removed, changed = [], [], []
    scripts_before, scripts_after = expressions_before or {}, expressions_after or {}
    for element in after.elements.values():
        old = before.elements.get(element.id)
        mine = scripts_after.get(element.id, {})
        if old is None:
            found = _diff(after, element, "added")
            found.changes = [
                *_described(element),
                *_expression_changes(after, element, {}, mine),
                *_flow_changes(before, after, element.id),
            ]
            added.append(found)
            continue
        changes = [
            *_attribute_changes(old, element),
            *_expression_changes(after, element, scripts_before.get(element.id, {}), mine),
            *_flow_changes(before, after, element.id),
        ]
        if changes:
            found = _diff(after, element, "changed")
            found.changes = changes
            changed.append(found)
    removed = [
        _diff(before, element, "removed")
        for element in before.elements.values()
        if element.id not in after.elements
    ]
    return FlowDiff(
        key=after.key or before.key,
        from_version=from_version,
        to_version=to_version,
        added=added,
        removed=removed,
        changed=changed,
        lanes_added=_missing(after.lanes, before.lanes),
        lanes_removed=_missing(before.lanes, after.lanes),
    )


def _missing(these: Iterable[str], there: Iterable[str]) -> list[str]:
    others = set(there)
    return [lane for lane in these if lane not in others]


def marked(diff: FlowDiff) -> dict[str, list[str]]:
    """The ids to mark on each side's diagram: ``before`` (removed and changed elements,
    removed and changed flows) and ``after`` (added and changed ones), by kind."""
    before_removed = [e.id for e in diff.removed]
    after_added = [e.id for e in diff.added]
    changed = [e.id for e in diff.changed]
    before_changed, after_changed = list(changed), list(changed)
    for element in [*diff.added, *diff.changed]:
        for item in element.changes:
            if not isinstance(item, FlowChange):
                continue
            if item.change == "added" and item.flow_after:
                after_added.append(item.flow_after)
            elif item.change == "removed" and item.flow_before:
                before_removed.append(item.flow_before)
            else:
                before_changed += [item.flow_before] if item.flow_before else []
                after_changed += [item.flow_after] if item.flow_after else []
    return {
        "before_removed": before_removed,
        "before_changed": before_changed,
        "after_added": after_added,
        "after_changed": after_changed,
    }
