"""Who may call what: the documented access rules of every API operation, as test data.

``ACCESS`` is the route table of the README ("API" section) and of DESIGN.md, one entry per
operation of the OpenAPI document. ``tests/attack`` checks that the table names every operation
the running service documents (a new route must be added here, with its rule), that each role
gate answers as the table says, and feeds schemathesis a user who may call each operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

CASEWORKER = "caseworker"
VILLAGE_HEAD = "village_head"
TOWNSHIP_REVIEWER = "township_reviewer"
COUNTY_APPROVER = "county_approver"
FINANCE_OFFICER = "finance_officer"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (
    CASEWORKER,
    VILLAGE_HEAD,
    TOWNSHIP_REVIEWER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    AUDITOR,
    ADMIN,
)
ANY_USER = frozenset(ROLES)
PUBLIC = frozenset()  # no token needed at all

# The user key of tests.fresh_county.County that holds each role (village 1, township 东城).
COUNTY_KEY = {
    CASEWORKER: "cw",
    VILLAGE_HEAD: "vh",
    TOWNSHIP_REVIEWER: "tr",
    COUNTY_APPROVER: "ca",
    FINANCE_OFFICER: "fo",
    AUDITOR: "au",
    ADMIN: "admin",
}


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]  # roles the route's gate lets through (PUBLIC: no token at all)
    # True where the route lets every user through its gate and the role is then checked
    # against the object (a task's lane): the role matrix checks those on a real task.
    by_object: bool = False


def _only(*roles: str) -> Rule:
    return Rule(frozenset(roles))


READERS = _only(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR, ADMIN)  # payouts, batches, recoveries
SUPERVISORS = _only(AUDITOR, ADMIN)
TASK_ROLE = Rule(ANY_USER, by_object=True)

API = "/api/v1"
ACCESS: dict[tuple[str, str], Rule] = {
    ("POST", f"{API}/auth/token"): Rule(PUBLIC),
    ("GET", f"{API}/auth/me"): Rule(ANY_USER),
    ("POST", f"{API}/auth/password"): Rule(ANY_USER),  # their own password
    ("GET", f"{API}/programs"): Rule(ANY_USER),
    ("GET", f"{API}/programs/{{code}}"): Rule(ANY_USER),
    # Amounts a county sets per year (seed 003's rewards): every user reads their county's;
    # the county's administrator sets them (another county's: 403).
    ("GET", f"{API}/programs/{{code}}/amounts"): Rule(ANY_USER),
    ("PUT", f"{API}/programs/{{code}}/amounts/{{county}}/{{year}}"): _only(ADMIN),
    ("POST", f"{API}/applications"): _only(CASEWORKER),
    ("GET", f"{API}/applications"): Rule(ANY_USER),
    ("GET", f"{API}/applications/{{application_id}}"): Rule(ANY_USER),  # in jurisdiction
    ("PATCH", f"{API}/applications/{{application_id}}"): _only(CASEWORKER),
    ("POST", f"{API}/applications/{{application_id}}/documents"): _only(CASEWORKER),
    ("POST", f"{API}/applications/{{application_id}}/withdraw"): _only(CASEWORKER),
    ("POST", f"{API}/applications/{{application_id}}/revoke"): _only(COUNTY_APPROVER),
    ("GET", f"{API}/tasks"): Rule(ANY_USER),
    ("POST", f"{API}/tasks/bulk-complete"): _only(TOWNSHIP_REVIEWER, COUNTY_APPROVER),
    ("POST", f"{API}/tasks/{{task_id}}/claim"): TASK_ROLE,
    ("POST", f"{API}/tasks/{{task_id}}/unclaim"): TASK_ROLE,
    ("POST", f"{API}/tasks/{{task_id}}/complete"): TASK_ROLE,
    # 改派: a county approver, or a township reviewer for the township's steps.
    ("POST", f"{API}/tasks/{{task_id}}/reassign"): _only(TOWNSHIP_REVIEWER, COUNTY_APPROVER),
    ("GET", f"{API}/tasks/{{task_id}}/candidates"): _only(TOWNSHIP_REVIEWER, COUNTY_APPROVER),
    ("GET", f"{API}/payouts"): READERS,
    ("POST", f"{API}/payouts/yearly"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/payouts/{{payout_id}}/pay"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/payouts/batches"): _only(FINANCE_OFFICER),
    ("GET", f"{API}/payouts/batches"): READERS,
    ("GET", f"{API}/payouts/batches/{{batch_id}}"): READERS,
    ("GET", f"{API}/payouts/batches/{{batch_id}}/bank-file"): _only(FINANCE_OFFICER),
    # 平安保障: the finance officer makes the batch and records policies, a county approver
    # decides it; both at county level (a township user's 403), in their county (404).
    ("GET", f"{API}/insurance/plans/{{code}}"): READERS,
    ("GET", f"{API}/insurance/households"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/insurance/batches"): _only(FINANCE_OFFICER),
    ("GET", f"{API}/insurance/batches"): READERS,
    ("GET", f"{API}/insurance/batches/{{batch_id}}"): READERS,
    ("POST", f"{API}/insurance/batches/{{batch_id}}/decision"): _only(COUNTY_APPROVER),
    ("POST", f"{API}/insurance/batches/{{batch_id}}/policies"): _only(FINANCE_OFFICER),
    ("GET", f"{API}/insurance/batches/{{batch_id}}/list"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/insurance/batches/{{batch_id}}/policy-file"): _only(FINANCE_OFFICER),
    ("GET", f"{API}/payouts/batches/{{batch_id}}/roster"): READERS,
    ("POST", f"{API}/payouts/batches/{{batch_id}}/results"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/reviews/yearly"): _only(COUNTY_APPROVER),
    ("GET", f"{API}/rosters/township.xlsx"): _only(TOWNSHIP_REVIEWER, COUNTY_APPROVER, AUDITOR),
    ("GET", f"{API}/recoveries"): READERS,
    ("GET", f"{API}/recoveries/{{recovery_id}}"): READERS,
    ("POST", f"{API}/recoveries/{{recovery_id}}/payments"): _only(FINANCE_OFFICER),
    ("POST", f"{API}/flows"): _only(ADMIN),
    ("GET", f"{API}/flows"): SUPERVISORS,
    ("GET", f"{API}/flows/{{key}}/diff"): SUPERVISORS,
    ("GET", f"{API}/flows/{{key}}/versions/{{number}}"): SUPERVISORS,
    ("GET", f"{API}/flows/{{key}}/versions/{{number}}/bpmn"): SUPERVISORS,
    ("GET", f"{API}/flows/{{key}}/versions/{{number}}/dmn/{{name}}"): SUPERVISORS,
    ("POST", f"{API}/flows/{{key}}/versions/{{number}}/activate"): _only(ADMIN),
    # Checking a flow as an upload would, storing nothing (the flow editor): admins, as upload.
    ("POST", f"{API}/flows/validate"): _only(ADMIN),
    # Deleting a never-activated version: admins, as activation (flows are installation-wide).
    ("DELETE", f"{API}/flows/{{key}}/versions/{{number}}"): _only(ADMIN),
    ("GET", f"{API}/audit/events"): SUPERVISORS,
    ("GET", f"{API}/audit/events.csv"): SUPERVISORS,
    ("GET", f"{API}/audit/events.xlsx"): SUPERVISORS,
    ("GET", f"{API}/audit/cases/{{application_id}}"): SUPERVISORS,
    ("GET", f"{API}/audit/users/{{username}}"): SUPERVISORS,
    ("POST", f"{API}/audit/cases/{{application_id}}/reveal"): _only(AUDITOR),
    ("GET", f"{API}/audit/verify"): SUPERVISORS,
    ("GET", f"{API}/notifications"): SUPERVISORS,
    ("GET", f"{API}/supervision/overdue"): _only(COUNTY_APPROVER, AUDITOR, ADMIN),
    # The region tree of the caller's county; administrators change it (issue 19, places).
    ("GET", f"{API}/regions"): SUPERVISORS,
    ("GET", f"{API}/regions/{{region_code}}"): SUPERVISORS,
    ("POST", f"{API}/regions"): _only(ADMIN),
    ("PATCH", f"{API}/regions/{{region_code}}"): _only(ADMIN),
    ("POST", f"{API}/regions/{{region_code}}/merge"): _only(ADMIN),
    ("GET", f"{API}/incidents"): _only(ADMIN),
    ("POST", f"{API}/incidents/{{incident_id}}/retry"): _only(ADMIN),
    # People of the administrator's county (issue 19).
    ("GET", f"{API}/people"): _only(ADMIN),
    ("POST", f"{API}/people"): _only(ADMIN),
    ("GET", f"{API}/people/{{username}}"): _only(ADMIN),
    ("PATCH", f"{API}/people/{{username}}"): _only(ADMIN),
    ("POST", f"{API}/people/{{username}}/deactivate"): _only(ADMIN),
    ("POST", f"{API}/people/{{username}}/reactivate"): _only(ADMIN),
    ("POST", f"{API}/people/{{username}}/password-reset"): _only(ADMIN),
    # The public notice 公示 of approved cases, open to everyone by design (DOMAIN.md).
    ("GET", f"{API}/public/notices"): Rule(PUBLIC),
    ("POST", f"{API}/public/notices/{{notice_id}}/objections"): Rule(PUBLIC),
    ("GET", f"{API}/public/recipients"): Rule(PUBLIC),
    ("GET", f"{API}/applications/{{application_id}}/objections"): _only(COUNTY_APPROVER, AUDITOR),
    # Life events 扶助对象情况变化 (death, moving away): the village caseworker records, a county
    # approver other than the recorder decides; every user reads those of their jurisdiction.
    ("POST", f"{API}/life-events"): _only(CASEWORKER),
    ("GET", f"{API}/life-events"): Rule(ANY_USER),
    ("GET", f"{API}/life-events/review-outcomes"): Rule(ANY_USER),
    ("GET", f"{API}/life-events/{{event_id}}"): Rule(ANY_USER),
    ("POST", f"{API}/life-events/{{event_id}}/confirm"): _only(COUNTY_APPROVER),
    ("POST", f"{API}/life-events/{{event_id}}/reject"): _only(COUNTY_APPROVER),
    ("GET", "/healthz"): Rule(PUBLIC),
}


# Console pages outside the OpenAPI document, gated by role: a role outside the rule gets the
# 404 page (a page a role may not use is not there for it). Checked in tests/web.
PAGES: dict[tuple[str, str], Rule] = {
    # The person roster of an account's bank batch (the pension fund's), from the payouts page:
    # the finance officer's, as the rest of /payouts.
    ("GET", "/payouts/batches/{batch_id}/roster"): _only(FINANCE_OFFICER),
    # The case list and search 案件查询: those who work on cases and the auditors who read
    # them, each inside their jurisdiction; administrators act on no case.
    ("GET", "/applications"): _only(
        CASEWORKER, VILLAGE_HEAD, TOWNSHIP_REVIEWER, COUNTY_APPROVER, FINANCE_OFFICER, AUDITOR
    ),
    # Two versions of a flow compared 版本对比: the administrator's, like the other flow pages
    # (the API's diff is also the auditors').
    ("GET", "/flows/{key}/diff"): _only(ADMIN),
    # Deleting a never-activated flow version from its page (the API's DELETE): admins only.
    ("POST", "/flows/{key}/versions/{number}/delete"): _only(ADMIN),
    # The flow editor (bpmn-js modeler): open a version or a template, check as you draw, save
    # a new version. Administrators, as upload and activation.
    ("GET", "/flows/{key}/edit"): _only(ADMIN),
    ("GET", "/flows/new"): _only(ADMIN),
    ("POST", "/flows/validate"): _only(ADMIN),
    ("POST", "/flows/{key}/edit"): _only(ADMIN),
    # 项目金额: the county's amounts of the county-set programs, set by its administrator.
    # 平安保障 (/insurance): the county's batches; the finance officer makes them and records
    # policy numbers, a county approver decides, auditors read.
    ("GET", "/insurance"): _only(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR),
    ("POST", "/insurance/batches"): _only(FINANCE_OFFICER),
    ("POST", "/insurance/batches/{batch_id}/decision"): _only(COUNTY_APPROVER),
    ("POST", "/insurance/batches/{batch_id}/policies"): _only(FINANCE_OFFICER),
    ("GET", "/insurance/batches/{batch_id}/list"): _only(FINANCE_OFFICER),
    ("POST", "/insurance/batches/{batch_id}/policy-file"): _only(FINANCE_OFFICER),
    ("GET", "/programs/amounts"): _only(ADMIN),
    ("POST", "/programs/amounts"): _only(ADMIN),
    # Life events on the case page: the caseworker records, the county approver decides.
    ("POST", "/applications/{application_id}/life-events"): _only(CASEWORKER),
    ("POST", "/life-events/{event_id}/decision"): _only(COUNTY_APPROVER),
}


def documented_operations(base_url: str) -> list[tuple[str, str]]:
    """Every (METHOD, path template) of the running service's OpenAPI document."""
    schema = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def acting_role(method: str, path: str) -> str | None:
    """A role that may call the operation (None: a public one), for schemathesis."""
    rule = ACCESS[(method, path)]
    if not rule.roles:
        return None
    if rule.by_object or rule.roles == ANY_USER:
        # Tasks and case reads: the township reviewer sees the most of a township's work.
        return TOWNSHIP_REVIEWER
    return next(role for role in ROLES if role in rule.roles)
