"""Two versions of a flow side by side (/flows/{key}/diff): what GET /api/v1/flows/{key}/diff
answers, on both versions' diagrams and in words.

The earlier version's diagram marks what was removed (red) and changed (amber), the later
one's what was added (green) and changed; below, each element added, removed or changed, by
its name and lane in the page's language (the id small beside it, as written), and what
changed, attribute by attribute. An administrator's page, like the other flow pages.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import ADMIN, User
from service.deadlines.service import DEFAULT_WORKING_DAYS
from service.flows import diff as flows_diff
from service.flows import service as flows_service
from service.flows import version_diff
from service.flows.schemas import (
    DecisionRead,
    DecisionsChange,
    DecisionTableChange,
    ElementDiff,
    ElementRef,
    FieldsChange,
    FlowChange,
    FlowDiff,
    NameChange,
    TextChange,
)
from service.http.deps import SessionDep
from service.http.params import MAX_ID
from service.programs.models import Program
from service.web import i18n, labels, sessions
from service.web.deps import page_for
from service.web.flows import FlowKey, fields_in_words
from service.web.templating import render
from service.web.vocabulary import term

router = APIRouter()
# A timer that reads the catalogue's limit of a step (workflows/programs.yaml time_limits).
_STEP = re.compile(r"""^deadline\(\s*['"]([^'"]+)['"]\s*\)$""")
Admin = Annotated[User, Depends(page_for(ADMIN))]


class Words:
    """The diff's parts said in one language."""

    def __init__(self, language: str, limits: dict[str, int] | None = None) -> None:
        self.language = language
        self.limits = limits  # the catalogue's time limits of the flow's programs
        self._ = i18n.translations(language).gettext
        self.ngettext = i18n.translations(language).ngettext
        self.zh = language.startswith("zh")

    def name(self, zh: str | None, en: str | None) -> str:
        return (zh or en or "") if self.zh else (en or zh or "")

    def kind(self, element_type: str) -> str:
        return self._(term("element", element_type))

    def lane(self, role: str | None) -> str:
        return self._(term("role", role)) if role else self._("No lane")

    def element(self, ref: ElementRef) -> str:
        """Its name; a timer by the task it is on; an unnamed element, or one whose name
        others share (督办), by the element leading into it."""
        named = self.name(ref.name, ref.name_en)
        on = self.name(ref.on, ref.on_en)
        after = self.name(ref.after, ref.after_en)
        if named and on:
            return self._("%(name)s on %(task)s") % {"name": named, "task": on}
        if named and after:
            return self._("%(name)s after %(after)s") % {"name": named, "after": after}
        if named:
            return named
        kind = self.kind(ref.type) if ref.type else self._("Element")
        if after:
            return self._("%(kind)s after %(name)s") % {"kind": kind, "name": after}
        return kind

    def decisions(self, found: list[DecisionRead], *, hints: bool = False) -> str:
        """The decisions' names; with what each does where only that changed."""
        separator = "、" if self.zh else ", "
        said = []
        for decision in found:
            name = self.name(decision.name, decision.name_en)
            hint = self.name(decision.hint, decision.hint_en) if hints else ""
            said.append(
                f"{name}（{hint}）" if hint and self.zh else f"{name} ({hint})" if hint else name
            )
        return separator.join(said) or "—"

    def fields(self, declared: dict[str, str]) -> str:
        separator = "；" if self.zh else "; "
        return separator.join(fields_in_words(declared, self.language)) or self._("None")

    def deadline(self, expression: str | None) -> tuple[str, bool, str]:
        """(text, whether it is an expression shown as written, what the catalogue's time
        limits make of it: a task without a timer takes their default, ``deadline('step')``
        the step's limit or the default)."""
        if expression is None:
            return self._("The catalogue's default time limit"), False, self.days(None)
        step = _STEP.match(expression)
        return expression, True, self.days(step.group(1)) if step else ""

    def days(self, step: str | None) -> str:
        """The catalogue's working days for ``step`` (its default for None), where the flow's
        programs agree on their time limits."""
        if self.limits is None:
            return ""
        default = self.limits.get("default", DEFAULT_WORKING_DAYS)
        days = self.limits.get(step, default) if step else default
        return self.ngettext(
            "%(num)d working day in the catalogue", "%(num)d working days in the catalogue", days
        ) % {"num": days}

    def condition(self, expression: str | None, default: bool) -> tuple[str, bool]:
        if default:
            return self._("Default branch (when no condition holds)"), False
        if expression is None:
            return self._("No condition (always taken)"), False
        return expression, True


def _item(
    label: str,
    before: Any,
    after: Any,
    *,
    code: bool = False,
    code_before: bool | None = None,
    code_after: bool | None = None,
    note_before: str = "",
    note_after: str = "",
) -> dict[str, Any]:
    """One line of a change: what, before and after (None: not shown), and whether the
    values are expressions shown as written (``translate="no"``)."""
    return {
        "label": label,
        "before": before,
        "after": after,
        "code_before": code if code_before is None else code_before,
        "code_after": code if code_after is None else code_after,
        "note_before": note_before,
        "note_after": note_after,
    }


def _flow_items(words: Words, item: FlowChange) -> list[dict[str, Any]]:
    _ = words._
    target = words.element(item.target)
    before, code_before = words.condition(item.condition_before, item.default_before)
    after, code_after = words.condition(item.condition_after, item.default_after)
    if item.change == "added":
        label = _("New branch to “%(name)s”") % {"name": target}
        return [{**_item(label, None, after, code_after=code_after), "flow": "added"}]
    if item.change == "removed":
        label = _("Branch to “%(name)s” removed") % {"name": target}
        return [{**_item(label, before, None, code_before=code_before), "flow": "removed"}]
    found = []
    if item.target_before is not None:  # the same flow, re-targeted: where it led, where now
        flow = words.name(item.name_after, item.name_after_en) or after
        label = _("Branch “%(flow)s” leads elsewhere") % {"flow": flow}
        found.append(_item(label, words.element(item.target_before), target))
    label = _("Branch to “%(name)s”") % {"name": target}
    if (before, item.default_before) != (after, item.default_after):
        found.append(_item(label, before, after, code_before=code_before, code_after=code_after))
    old = words.name(item.name_before, item.name_before_en) or "—"
    new = words.name(item.name_after, item.name_after_en) or "—"
    if old != new:
        found.append(_item(_("Name of the branch to “%(name)s”") % {"name": target}, old, new))
    return [{**found_item, "flow": "changed"} for found_item in found]


def _change_items(words: Words, item: Any) -> list[dict[str, Any]]:
    if isinstance(item, FlowChange):
        return _flow_items(words, item)
    if isinstance(item, FieldsChange) and item.before and item.after:
        return _field_items(words, item)
    return [_change_item(words, item)]


def _field_items(words: Words, item: FieldsChange) -> list[dict[str, Any]]:
    """A task's fields, one by one: added, removed, or its type, bounds or need changed
    (a whole list before and after hides the one that changed)."""
    _ = words._
    found = []
    for name in [*item.after, *(n for n in item.before if n not in item.after)]:
        old, new = item.before.get(name), item.after.get(name)
        if old == new:
            continue
        before = words.fields({name: old}) if old is not None else None
        after = words.fields({name: new}) if new is not None else None
        label = (
            _("Data it takes")
            if old is not None and new is not None
            else _("Field added")
            if old is None
            else _("Field removed")
        )
        found.append(_item(label, before, after))
    return found


def _change_item(words: Words, item: Any) -> dict[str, Any]:
    _ = words._
    if isinstance(item, NameChange):
        old = words.name(item.before, item.before_en) or "—"
        new = words.name(item.after, item.after_en) or "—"
        if old == new:  # only the other language's name changed: say that one
            other = Words("en" if words.zh else "zh_CN")
            old = other.name(item.before, item.before_en) or "—"
            new = other.name(item.after, item.after_en) or "—"
        return _item(_("Element name"), old, new)
    if isinstance(item, DecisionsChange):
        names = [(d.code, d.name, d.name_en) for d in item.before]
        hints = names == [(d.code, d.name, d.name_en) for d in item.after]  # only hints changed
        before = words.decisions(item.before, hints=hints) if item.before else None
        return _item(_("Decisions offered"), before, words.decisions(item.after, hints=hints))
    if isinstance(item, FieldsChange):
        before = words.fields(item.before) if item.before or item.after == {} else None
        return _item(_("Data it takes"), before, words.fields(item.after))
    assert isinstance(item, TextChange)
    if item.attribute == "deadline":
        before, code_before, note_before = words.deadline(item.before)
        after, code_after, note_after = words.deadline(item.after)
        shown_before = None if item.before is None and item.after is None else before
        return _item(
            _("Deadline"),
            shown_before,
            after,
            code_before=code_before,
            code_after=code_after,
            note_before=note_before,
            note_after=note_after,
        )
    if item.attribute == "lane":
        return _item(_("Lane"), words.lane(item.before), words.lane(item.after))
    if item.attribute in ("script", "timer"):
        label = _("Script") if item.attribute == "script" else _("Timer")
        return _item(label, item.before or _("None"), item.after or _("None"), code=True)
    if item.attribute == "status":
        before_status = _(term("status", item.before)) if item.before else None
        after_status = _(term("status", item.after)) if item.after else _("None")
        return _item(_("Case status at this end"), before_status, after_status)
    return _item(_("Kind"), words.kind(item.before or ""), words.kind(item.after or ""))


def _row(words: Words, element: ElementDiff) -> dict[str, Any]:
    items = [said for item in element.changes for said in _change_items(words, item)]
    if element.change == "added":
        # What a new element is, not a change from nothing: no "before" column.
        items = [{**item, "before": None} for item in items]
    return {
        "id": element.id,
        "change": element.change,
        "name": words.element(element),
        "kind": words.kind(element.type),
        "lane": words.lane(element.lane),
        "items": items,
    }


def _table(words: Words, table: DecisionTableChange) -> dict[str, Any]:
    """A DMN file's change: its hit policy and columns where they changed, and each rule
    added, removed or changed, as written (inputs | … → outputs | …)."""
    _ = words._
    separator = "、" if words.zh else ", "
    items = []
    if table.change == "changed":
        if table.hit_policy_before != table.hit_policy_after:
            items.append(
                _item(_("Hit policy"), table.hit_policy_before, table.hit_policy_after, code=True)
            )
        for label, before, after in (
            (_("Inputs"), table.inputs_before, table.inputs_after),
            (_("Outputs"), table.outputs_before, table.outputs_after),
        ):
            if before != after:
                items.append(_item(label, separator.join(before), separator.join(after)))
        for rule in table.rules:
            name = rule.description or rule.id
            label = {
                "added": _("Rule added: %(name)s"),
                "removed": _("Rule removed: %(name)s"),
                "changed": _("Rule %(name)s"),
            }[rule.change] % {"name": name}
            items.append(_item(label, rule.before, rule.after, code=True))
    return {"file": table.file, "change": table.change, "items": items}


def shown(found: FlowDiff, language: str, limits: dict[str, int] | None = None) -> dict[str, Any]:
    """The diff as the page says it: rows of elements by change, and the ids to mark;
    deadlines with the working days ``limits`` (the catalogue's) give them."""
    words = Words(language, limits)
    return {
        "added": [_row(words, element) for element in found.added],
        "removed": [_row(words, element) for element in found.removed],
        "changed": [_row(words, element) for element in found.changed],
        "lanes_added": [words.lane(role) for role in found.lanes_added],
        "lanes_removed": [words.lane(role) for role in found.lanes_removed],
        "marks": {kind: " ".join(ids) for kind, ids in flows_diff.marked(found).items()},
        "tables": [_table(words, table) for table in found.decision_tables],
        "empty": not (found.added or found.removed or found.changed or found.lanes_added)
        and not (found.lanes_removed or found.decision_tables),
    }


async def _limits(session: AsyncSession, programs: list[str]) -> dict[str, int] | None:
    """The catalogue's time limits of the programs using the flow, where they agree (a flow
    no program uses, or whose programs differ, has none to show)."""
    rows = (await session.exec(select(Program).where(col(Program.code).in_(programs)))).all()
    found = {json.dumps(row.time_limits or {}, sort_keys=True) for row in rows}
    return json.loads(found.pop()) if len(found) == 1 else None


async def _context(
    request: Request,
    session: AsyncSession,
    key: str,
    from_number: int | None,
    to_number: int | None,
) -> dict[str, Any]:
    earlier, later = await version_diff.versions(
        session, key, from_number=from_number, to_number=to_number
    )
    found = await version_diff.compare_versions(earlier, later)
    language = sessions.of(request).language
    summary = next(f for f in await flows_service.list_flows(session) if f.key == key)
    return {
        "key": key,
        "diff": found,
        "shown": shown(found, language, await _limits(session, summary.programs)),
        "numbers": [version.version for version in summary.versions],
        "programs": summary.programs,
        "labels": await labels.load(session, language),
    }


@router.get("/flows/{key}/diff")
async def diff_page(
    request: Request,
    key: FlowKey,
    user: Admin,
    session: SessionDep,
    from_number: Annotated[int | None, Query(alias="from", ge=1, le=MAX_ID)] = None,
    to_number: Annotated[int | None, Query(alias="to", ge=1, le=MAX_ID)] = None,
) -> Response:
    """Two versions of a flow side by side (GET /api/v1/flows/{key}/diff): by default the
    latest against the one before it."""
    context = await _context(request, session, key, from_number, to_number)
    return render(request, "flow_diff.html", context, user=user)
