"""The service's conventions as an uploaded BPMN states them, read with lxml alone.

They are read before SpiffWorkflow's parser runs, so a refusal lists every broken rule at
once, and the same functions resolve them at run time (docs/flows.md):

- **who acts on a user task** (its role): ``camunda:candidateGroups`` or
  ``flowable:candidateGroups`` on the task, else a ``spiffworkflow:properties`` property
  ``role`` on the task, else its lane's ``role`` property, else its lane's name (the role
  code, or the role's Chinese or English name as the console shows it: an office names its
  lanes 村计生专干, 乡镇审查人员…);
- **how a case ends** (an end event's status): a ``status`` property, else an id
  ``end_<status>``, else its name (the status code, or its Chinese or English word). The end of
  an escalation path (id ``escalated…``) ends no case.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from service.engine.elements import BPMN_NS, SPIFF_NS

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE_NS = "http://flowable.org/bpmn"
# The attributes of other engines that name who acts on a task (a role code here).
CANDIDATE_GROUPS = (f"{{{CAMUNDA_NS}}}candidateGroups", f"{{{FLOWABLE_NS}}}candidateGroups")
ROLE_PROPERTY = "role"
STATUS_PROPERTY = "status"
ESCALATION_END_PREFIX = "escalated"
HUMAN_TASKS = ("userTask", "manualTask")
# An end event named by the word people read for its status (the console's words).
STATUS_WORDS = {
    "已发放": "paid",
    "已纳入扶助": "enrolled",
    "不予批准": "rejected",
    "已撤销": "revoked",
    "已终止": "ended",
}

# A lane named by the words people read for its role (the console's words, web/vocabulary.py
# and the Chinese catalogue; tests/unit/test_flow_conventions.py keeps the two the same).
ROLE_WORDS = {
    "村计生专干": "caseworker",
    "Village caseworker": "caseworker",
    "村委会主任": "village_head",
    "Village committee chair": "village_head",
    "乡镇审查人员": "township_reviewer",
    "Township reviewer": "township_reviewer",
    "县审核认定人员": "county_approver",
    "County approver": "county_approver",
    "财务发放人员": "finance_officer",
    "Finance officer": "finance_officer",
}


@dataclass(frozen=True)
class RoleOf:
    """Who acts on a human task, and where that was read (for a refusal's words)."""

    task: str
    role: str | None
    source: str  # "candidateGroups", "property", "lane", "" (none)
    lane: str | None = None  # the lane's id, when the task is in one


@dataclass(frozen=True)
class LaneInfo:
    id: str
    name: str
    role: str
    tasks: tuple[str, ...]  # the human tasks it holds that take their role from it


@dataclass(frozen=True)
class EndInfo:
    id: str
    status: str | None  # None: the end of an escalation path


@dataclass(frozen=True)
class Conventions:
    roles: tuple[RoleOf, ...]
    lanes: tuple[LaneInfo, ...]
    ends: tuple[EndInfo, ...]

    def role_of(self, task: str) -> str | None:
        return next((r.role for r in self.roles if r.task == task), None)

    def status_of(self, end: str) -> str | None:
        return next((e.status for e in self.ends if e.id == end), None)


def properties(element: etree._Element) -> dict[str, str]:
    """An element's own ``spiffworkflow:properties`` (not those of elements inside it)."""
    found: dict[str, str] = {}
    for extensions in element.iterfind(f"{{{BPMN_NS}}}extensionElements"):
        for prop in extensions.iter(f"{{{SPIFF_NS}}}property"):
            name = (prop.get("name") or "").strip()
            if name:
                found[name] = (prop.get("value") or "").strip()
    return found


def end_status(element: str, name: str | None, props: dict[str, str]) -> str | None:
    """The status an end event gives the case (see the module's docstring); None for the end
    of an escalation path. A status the service does not know is returned as written, for
    the service's rules to refuse."""
    if element.startswith(ESCALATION_END_PREFIX):
        return None
    if props.get(STATUS_PROPERTY):
        return props[STATUS_PROPERTY]
    if element.startswith("end_"):
        return element.removeprefix("end_")
    words = " ".join((name or "").split())
    return STATUS_WORDS.get(words, words.lower())


def task_role(task: etree._Element) -> tuple[str | None, str]:
    """A human task's own role (``candidateGroups``, a ``role`` property) and where it was
    read; (None, "") when it takes its lane's."""
    for attribute in CANDIDATE_GROUPS:
        value = (task.get(attribute) or "").strip()
        if value:
            return value, "candidateGroups"
    role = properties(task).get(ROLE_PROPERTY)
    return (role, "property") if role else (None, "")


def read(root: etree._Element) -> Conventions:
    """The roles of every human task and lane and the status of every end event of the
    executable process(es) in ``root``."""
    lane_of: dict[str, etree._Element] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
            lane_of[(ref.text or "").strip()] = lane
    roles: list[RoleOf] = []
    from_lane: dict[str, list[str]] = {}
    for kind in HUMAN_TASKS:
        for task in root.iter(f"{{{BPMN_NS}}}{kind}"):
            task_id = task.get("id") or ""
            lane = lane_of.get(task_id)
            role, source = task_role(task)
            if role is None and lane is not None:
                role, source = lane_role(lane), "lane"
                from_lane.setdefault(lane.get("id") or "", []).append(task_id)
            lane_id = lane.get("id") if lane is not None else None
            roles.append(RoleOf(task_id, role, source, lane_id))
    lanes = tuple(
        LaneInfo(
            lane.get("id") or "",
            (lane.get("name") or "").strip(),
            lane_role(lane),
            tuple(from_lane.get(lane.get("id") or "", ())),
        )
        for lane in root.iter(f"{{{BPMN_NS}}}lane")
    )
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    executable = [p for p in processes if (p.get("isExecutable") or "").strip() == "true"]
    ends = tuple(
        EndInfo(
            end.get("id") or "",
            end_status(end.get("id") or "", end.get("name"), properties(end)),
        )
        for process in executable or processes
        for end in process.iterfind(f"{{{BPMN_NS}}}endEvent")
    )
    return Conventions(tuple(roles), lanes, ends)


def lane_role(lane: etree._Element) -> str:
    """A lane's role: its ``role`` property, else its name (a role's code or its words)."""
    name = " ".join((lane.get("name") or "").split())
    return properties(lane).get(ROLE_PROPERTY) or ROLE_WORDS.get(name, name)
