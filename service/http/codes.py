"""The registry of problem codes: every ``code`` the service answers with, its HTTP status,
what it means and the ``params`` its message needs.

A problem's ``detail`` is an English sentence; its ``code`` names the refusal so a client (the
console, in Chinese) can say it in its own words from ``code`` and ``params``. Field errors
(``errors[]`` of a 422) carry a code too: the service's own (status 422 here, kind ``field``),
or one of pydantic's error types, documented at ``PYDANTIC_ERRORS`` rather than listed here.

The domain raises with a literal ``code=`` and never imports this module (the layers contract);
``tests/test_problem_codes.py`` checks that every code raised anywhere in ``service/`` is
registered and every registered code is raised somewhere (or answered by the edge itself), and
that ``docs/problems.md`` is what ``markdown()`` writes. The problem handler logs
``problem_code_unregistered`` for a code it does not know.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic_core.core_schema import ErrorType

PYDANTIC_ERRORS = "https://docs.pydantic.dev/latest/errors/validation_errors/"
PYDANTIC_TYPES = frozenset(get_args(ErrorType))

Kind = Literal["problem", "field", "edge"]


@dataclass(frozen=True)
class Code:
    status: int  # of the problem it is the code of (a field code: of the 422 it is listed in)
    meaning: str
    params: tuple[str, ...] = ()
    kind: Kind = "problem"  # problem: raised by the domain; edge: by service/http; field: errors[]


def _c(status: int, meaning: str, params: str = "", kind: Kind = "problem") -> Code:
    return Code(status, meaning, tuple(params.split()), kind)


def _f(meaning: str, params: str = "") -> Code:
    return _c(422, meaning, params, "field")


def _e(status: int, meaning: str, params: str = "") -> Code:
    return _c(status, meaning, params, "edge")


CODES: dict[str, Code] = {
    # --- answered by the HTTP edge itself ------------------------------------------------------
    "invalid-input": _e(422, "the request has invalid fields; errors[] names each", "fields"),
    "body-invalid": _f("the body cannot be parsed at all (not UTF-8, broken multipart)"),
    "body-too-large": _e(413, "the request body exceeds the limit for its kind", "limit"),
    "not-found": _e(404, "no such route"),
    "method-not-allowed": _e(405, "the route does not take this method; see Allow", "method"),
    "http-error": _e(400, "another HTTP error of the routing layer (status as answered)", "status"),
    "conflict": _e(409, "the request conflicts with a concurrent change; reload and retry"),
    "value-not-storable": _e(422, "a value cannot be stored or searched for (a NUL character)"),
    "service-unavailable": _e(503, "the database is unavailable; retry shortly"),
    "internal-error": _e(500, "an unexpected error, logged with the request id"),
    # --- authentication and roles ----------------------------------------------------------------
    "token-missing": _c(401, "no bearer token"),
    "token-invalid": _c(401, "the token is invalid or expired"),
    "token-algorithm": _c(401, "the token's algorithm is not accepted"),
    "user-unknown-or-disabled": _c(401, "the token's user is unknown or disabled"),
    "login-failed": _c(401, "wrong username or password"),
    "login-required": _c(401, "console: log in to continue"),
    "session-ended": _c(401, "console: the session has ended"),
    "current-password-wrong": _c(401, "the current password is wrong"),
    "login-throttled": _c(
        429, "too many failed logins of this user from this address; wait", "retry_after"
    ),
    "login-address-throttled": _c(
        429, "too many failed logins from this address, any user; wait", "retry_after"
    ),
    "login-slowed": _c(
        429, "many failed logins of this user; a short wait between attempts", "retry_after"
    ),
    "login-rate-limited": _c(
        429, "too many logins of this user from this address a minute", "retry_after"
    ),
    "password-checks-busy": _c(
        503, "every password-check slot is busy; retry after a moment", "retry_after"
    ),
    "token-revoked": _c(401, "the password changed after the token was issued; log in again"),
    "password-attempts-throttled": _c(429, "too many failed password checks", "retry_after"),
    "rate-limited": _c(429, "at most limit of what an hour", "limit what retry_after"),
    "password-changed-meanwhile": _c(409, "the password was changed meanwhile; log in again"),
    "password-weak": _c(422, "the new password breaks the policy; errors[] per rule", "reasons"),
    "password-too-short": _f("the password is shorter than the minimum", "minimum"),
    "password-too-long": _f("the password is longer than the maximum", "maximum"),
    "password-has-username": _f("the password contains the username"),
    "password-simple": _f("the password is one character repeated, a pattern or a sequence"),
    "password-common": _f("the password is a commonly used one"),
    "password-unchanged": _f("the new password equals the current one"),
    "case-role-required": _c(403, "acting on cases requires one of roles", "roles"),
    "role-required": _c(403, "requires one of roles", "roles"),
    "caseworker-only": _c(403, "only the village caseworker does this", "action"),
    "audit-role-required": _c(403, "only auditors and administrators read the audit trail"),
    "reveal-county-auditor-only": _c(403, "only a county auditor reveals personal numbers"),
    "supervision-role-required": _c(403, "the supervision view is for county roles"),
    "revocation-county-approver-only": _c(403, "only the county approver revokes a case"),
    "batch-finance-officer-only": _c(403, "bank batches are made by the finance officer"),
    "recovery-finance-officer-only": _c(403, "only the finance officer records recovered money"),
    "village-outside-jurisdiction": _c(403, "the village is outside your jurisdiction", "village"),
    "csrf-cross-site": _c(403, "console: the form was sent from another site"),
    "csrf-expired": _c(403, "console: the form expired or did not come from this site"),
    "csrf-download": _c(403, "console: a download starts only from the console's pages"),
    # --- accounts ----------------------------------------------------------------------------
    "username-invalid": _c(422, "a username is 2 to 64 lower-case letters, digits, . _ -"),
    "role-unknown": _c(422, "unknown role", "role roles"),
    "region-unknown": _c(422, "unknown region code", "region"),
    "region-merged": _c(422, "the region was merged into another", "region merged_into"),
    "region-level-mismatch": _c(
        422, "the role works at another region level", "role level region region_level"
    ),
    "name-length": _c(422, "a name is 1 to max characters", "max"),
    "user-exists": _c(409, "the user already exists", "username"),
    "user-not-found": _c(404, "no such user", "username"),
    # --- people (administrators manage the users of their county) ---------------------------
    "people-own-account": _c(403, "nobody changes their own account; another administrator does"),
    "people-outside-jurisdiction": _c(
        403, "the region is outside the administrator's jurisdiction", "region jurisdiction"
    ),
    "last-admin": _c(409, "the last active administrator of a county stays", "username county"),
    "user-already-inactive": _c(409, "the user is already deactivated", "username"),
    "user-already-active": _c(409, "the user is active", "username"),
    "user-unchanged": _c(409, "the change changes nothing", "username"),
    "roles-empty": _c(422, "a user needs at least one role"),
    "reason-required": _c(422, "say why, in 1 to 500 characters"),
    "hand-to-self": _c(422, "claimed tasks are handed to someone else"),
    "password-change-required": _c(
        403, "an administrator set the password: change it before anything else"
    ),
    # --- places (the region tree; service/regions) ----------------------------------------------
    "region-not-found": _c(404, "no such region (or outside your jurisdiction)", "region"),
    "region-code-invalid": _c(422, "a region code is 6, 9 or 12 digits", "region"),
    "region-exists": _c(409, "a region with this code exists", "region"),
    "region-parent-mismatch": _c(
        422, "a code starts with its parent's, one level above", "region parent"
    ),
    "region-county-cli-only": _c(
        403, "a county is added on the server (relief regions add)", "region"
    ),
    "region-merge-self": _c(422, "a region cannot be merged into itself", "region into"),
    "region-merge-level": _c(
        422, "villages into villages, townships into townships", "region into level into_level"
    ),
    "region-merge-county": _c(422, "regions merge within one county", "region into"),
    "region-already-merged": _c(409, "the region was merged already", "region merged_into"),
    "region-no-free-code": _c(409, "the township has no free village number left", "township"),
    # --- cases -------------------------------------------------------------------------------
    "case-not-found": _c(404, "no such case (or outside your jurisdiction)", "application_id"),
    "duplicate-case": _c(
        409, "the household already has a case in the program", "existing_application_id program"
    ),
    "duplicate-case-elsewhere": _c(
        409, "the household already has a case in the program elsewhere", "program"
    ),
    "household-event-too-soon": _c(
        409,
        "the household's case for another event is within the program's minimum interval",
        "existing_application_id existing_event_date program min_interval_months possible_from",
    ),
    "household-event-too-soon-elsewhere": _c(
        409,
        "the household's case elsewhere is for an event within the program's minimum interval",
        "program min_interval_months possible_from",
    ),
    "family-planning-unconfirmed": _c(
        422,
        "the program is for family-planning families: the caseworker confirms the household is "
        "one and that they saw the originals",
        "program",
    ),
    "program-unknown": _c(422, "unknown or inactive program", "program"),
    "program-not-found": _c(404, "no such program", "program"),
    "program-amount-unset": _c(
        409, "the county has not set the program's amount for the year", "program county year"
    ),
    "program-amount-none": _c(
        409, "no county has set the program's amount: no flow is activated for it", "program"
    ),
    "program-amount-fixed": _c(409, "the program pays the catalogue's fixed amount", "program"),
    "program-amount-year": _c(422, "the year of an amount is out of range", "year first last"),
    "program-amount-range": _c(
        422, "the amount is not 1 fen to the program's maximum", "program amount_fen max_fen"
    ),
    "program-amount-county": _c(422, "amounts are set for a county", "county"),
    "program-amount-outside-jurisdiction": _c(
        403, "the county is outside the administrator's jurisdiction", "county"
    ),
    "village-unknown": _c(422, "unknown village code", "village"),
    "village-merged": _c(
        422, "the village was merged; submit to its successor", "village merged_into"
    ),
    "event-kind-not-covered": _c(422, "the program covers other events", "program event_kinds"),
    "event-date-future": _c(422, "the event date is in the future"),
    "spouse-is-applicant": _c(422, "the spouse cannot be the applicant"),
    "ineligible": _c(422, "the eligibility table finds the case ineligible", "reason"),
    "case-not-correctable": _c(
        409, "the case is not with the village caseworker", "application_id status"
    ),
    "case-not-editable": _c(409, "documents cannot be added now", "application_id status"),
    "case-not-withdrawable": _c(409, "the case cannot be withdrawn", "application_id status"),
    "case-not-revocable": _c(
        409, "only a county-approved case is revoked", "application_id status"
    ),
    "reason-blank": _c(422, "the reason must not be blank"),
    "evidence-required": _c(422, "at least one evidence file is required"),
    "withdrawal-reason-required": _c(422, "console: give the household's reason"),
    "document-kind-unknown": _c(422, "unknown document kind", "kinds"),
    "document-kind-required": _c(422, "console: choose the kind of document"),
    "document-type-unsupported": _c(422, "only PDF, JPEG and PNG documents are accepted"),
    "document-not-found": _c(404, "no such document in the case", "document_id application_id"),
    "documents-missing": _c(409, "attach the required documents first", "missing"),
    "file-required": _c(422, "console: choose a file to upload"),
    "file-empty": _c(422, "the file is empty"),
    "file-too-large": _c(413, "the file exceeds the size limit", "what limit"),
    "case-changed-meanwhile": _c(409, "the case changed meanwhile; reload and try again"),
    "record-changed-meanwhile": _c(409, "the case's state changed meanwhile", "what"),
    "review-changed-meanwhile": _c(409, "the case's yearly review changed meanwhile"),
    "case-payouts-changed-meanwhile": _c(409, "a payout of the case changed meanwhile"),
    "eligible-parents-above-record": _c(
        422, "a proposed eligible_parents exceeds the parents the case names", "max"
    ),
    # field errors of a submission (pydantic validators)
    "id-number-format": _f("resident ID numbers have 17 digits and a check character"),
    "id-check-digit": _f("the resident ID number fails the GB 11643 check digit"),
    "id-birth-date": _f("the resident ID number holds no valid birth date"),
    "bank-card-format": _f("bank card numbers have 16 to 19 digits"),
    "bank-card-check-digit": _f("the bank card number fails the Luhn check"),
    "name-blank": _f("the name must not be blank"),
    "event-kind-unknown": _f("unknown event kind", "kinds"),
    "extra-fields-too-large": _f("additional fields exceed limit bytes", "limit"),
    # field errors of any text or free-form JSON the service stores (service/text.py)
    "text-control-character": _f(
        "a control character (U+0000-U+001F but tab and line breaks where lines are allowed, "
        "U+007F-U+009F)",
        "character position",
    ),
    "text-unpaired-surrogate": _f("an unpaired UTF-16 surrogate (U+D800-U+DFFF)", "position"),
    "json-too-deep": _f("a free-form value nests deeper than max_depth levels", "path max_depth"),
    "json-too-many-keys": _f("an object or list holds more than max_keys entries", "path max_keys"),
    "json-string-too-long": _f("a string is longer than max_length characters", "path max_length"),
    "json-key-invalid": _f("a key is too long or holds control characters", "path max_length"),
    "json-number-invalid": _f("a number is not finite or too large to keep exactly", "path"),
    # --- tasks -------------------------------------------------------------------------------
    "task-not-found": _c(404, "no such task (or outside your jurisdiction)", "task_id"),
    "case-task-not-found": _c(404, "console: no such task on this case"),
    "task-role-mismatch": _c(403, "the task is for another role", "task_id role"),
    "task-not-ready": _c(409, "the task is no longer ready", "task_id status"),
    "task-claimed-by-other": _c(409, "another user claimed the task", "task_id"),
    "task-claimed-meanwhile": _c(409, "the task was claimed or completed meanwhile", "task_id"),
    "task-release-not-claimer": _c(409, "only the claimer releases a task", "task_id"),
    "task-completed-meanwhile": _c(409, "the task was completed meanwhile", "task_id"),
    "task-moved-on": _c(409, "the engine's task was completed or moved on"),
    "task-not-in-lane": _c(409, "the engine's task is not in the caller's lane"),
    "task-not-in-workflow": _c(409, "the task is not part of the case's workflow"),
    "workflow-not-waiting": _c(409, "the workflow is not waiting for this signal", "signal"),
    "task-not-reassignable": _c(
        409, "only a ready task that is claimed or overdue is reassigned", "task_id status"
    ),
    "reassign-role-required": _c(
        403, "reassigning needs a county approver, or a township reviewer for its steps", "task_id"
    ),
    "reassign-target-cannot-act": _c(
        422, "the user named may not act on the task (role, region, active, duties)", "task_id to"
    ),
    "reassign-same-holder": _c(422, "the user named already holds the task", "task_id to"),
    "user-inactive": _c(403, "the user is deactivated and acts on no task", "task_id"),
    "sod-own-submission": _c(403, "nobody approves above village level a case they submitted"),
    "sod-one-level": _c(403, "one person completes one level of a case only", "role"),
    "bulk-role-not-allowed": _c(403, "this role's tasks are not completed in bulk", "role"),
    "data-field-undeclared": _c(
        422,
        "the task does not declare this data field; params list what it takes",
        "field accepted",
    ),
    "data-field-type": _c(422, "a data field is not of its declared type", "field type"),
    "data-field-range": _c(
        422, "a data number is outside its declared bounds", "field type min max"
    ),
    "data-field-too-long": _c(
        422, "a data text is longer than its declaration allows", "field type max"
    ),
    "data-field-required": _c(422, "approving needs this declared data field", "field type"),
    "data-field-reserved": _c(422, "the service sets this variable; no task may write it", "field"),
    "comment-required": _f("a reject or return needs a comment giving the reason", "decision"),
    "decision-not-offered": _c(
        422,
        "the task does not offer this decision (its flow declares those it offers)",
        "decision offered",
    ),
    "data-integer-too-large": _f("a data integer exceeds ±2**53", "key max"),
    "data-key-invalid": _f("a data key is not a plain lower-case name", "key reserved"),
    "task-listed-twice": _f("a task is listed twice in a bulk request", "task_id"),
    # --- flows and the engine ----------------------------------------------------------------
    "flow-refused": _c(
        422, "the flow was refused; errors[] lists every reason", "element file reason more"
    ),
    "flow-bpmn-count": _c(422, "upload exactly one BPMN file"),
    "flow-dmn-count": _c(422, "too many DMN files", "limit"),
    "flow-note-too-long": _c(422, "the note of a flow version is too long", "limit"),
    "flow-note-required": _c(422, "a version saved from the flow editor needs a note saying why"),
    "flow-key-mismatch": _c(
        422, "the drawing's process id is not the key of the flow being edited", "key found"
    ),
    "flow-key-exists": _c(409, "a new flow's key is taken: edit that flow instead", "key"),
    "flow-template-not-found": _c(404, "no shipped flow of that name to start from", "name"),
    "flow-process-count": _c(422, "a flow holds exactly one executable process", "count"),
    "dmn-decision-count": _c(422, "a DMN file holds one decision", "count"),
    "dmn-invalid": _c(422, "the DMN file is invalid", "error"),
    "dmn-rules-overlap": _c(
        422, "rules of a UNIQUE decision table match the same input", "element rules input"
    ),
    "dmn-rules-disagree": _c(
        422,
        "rules of an ANY decision table match the same input with different outputs",
        "element rules input",
    ),
    "dmn-priority-unordered": _c(
        422, "a PRIORITY or OUTPUT ORDER table declares no allowed output values", "element policy"
    ),
    "dmn-aggregation-invalid": _c(
        422, "an aggregation needs the hit policy COLLECT and one output", "element aggregation"
    ),
    "xml-doctype-forbidden": _c(422, "DOCTYPE and ENTITY declarations are not allowed"),
    "xml-malformed": _c(422, "not well-formed XML", "error"),
    "xml-too-many-elements": _c(422, "the flow has too many elements", "count limit"),
    "flow-version-not-found": _c(404, "no such flow version", "version_id"),
    "flow-version-number-not-found": _c(404, "no such version of the flow", "key number"),
    "flow-dmn-not-found": _c(404, "the flow version has no such DMN file", "key number name"),
    "flow-version-deleted": _c(404, "the flow version was deleted", "key number"),
    "flow-version-activated": _c(
        409, "an activated flow version can only be superseded, not deleted", "key number"
    ),
    "flow-content-deleted": _c(
        409, "identical content was a version of the flow since deleted", "key number"
    ),
    "flow-not-bound": _c(409, "the flow is bound to no program; name one", "key"),
    "flow-bound-to-several": _c(409, "the flow is used by several programs; name one", "key"),
    "flow-is-review": _c(409, "a yearly review flow cannot run applications", "key"),
    "flow-failed": _c(422, "the flow could not proceed", "error"),
    "flow-end-unknown": _c(422, "the flow ended at an end event naming no status", "outcome"),
    "flow-task-no-lane": _c(422, "a user task sits in no lane", "task"),
    "flow-service-task": _c(422, "service tasks are not available to flows"),
    "timer-invalid": _c(422, "a timer is not an ISO 8601 duration, date or cycle", "timer"),
    "timer-transition-invalid": _c(422, "a timer would move the review wrongly", "from to"),
    "expression-syntax": _c(422, "a flow expression has a syntax error", "expression error"),
    "expression-refused": _c(422, "the sandbox refused a flow expression", "expression errors"),
    "expression-operator": _c(422, "an operator is not allowed in flow expressions", "operator"),
    "expression-attribute": _c(422, "an attribute is not allowed", "attribute type"),
    "expression-too-large": _c(422, "a value in a flow expression is too large", "limit"),
    "expression-percent-format": _c(422, "string formatting with % is not allowed"),
    "expression-str-argument": _c(422, "str() takes a number or a string"),
    "expression-sum-too-long": _c(422, "sum() adds up to limit numbers", "limit"),
    "expression-sum-start": _c(422, "sum() starts from a number"),
    "expression-range-too-long": _c(422, "range() is limited to limit numbers", "limit"),
    "expression-step-id": _c(422, "flow functions take a step id (a string)"),
    "expression-timeout": _c(422, "a flow expression ran too long", "timeout_ms"),
    # --- a flow's problems, each an entry of errors[] of flow-refused (element, reason) ------
    "flow-element-unsupported": _f("an element kind the service does not run", "element kind"),
    "flow-signal-not-caught": _f("a signal event that is not an intermediate catch", "element"),
    "flow-signal-unknown": _f("a signal the service never sends", "element signal signals"),
    "flow-process-missing": _f("the file holds no process"),
    "flow-id-missing": _f("an element has no id", "element kind line"),
    "flow-process-not-executable": _f('no process has isExecutable="true"', "element"),
    "flow-process-several": _f("more than one executable process", "element processes"),
    "flow-expression-juel": _f(
        "a Camunda-style ${…} expression; the Python equivalent", "element expression python"
    ),
    "flow-script-language": _f("a script or condition not in Python", "element language"),
    "flow-timer-unquoted": _f("an ISO 8601 timer not written as a Python string", "element timer"),
    "flow-timer-unreadable": _f("a timer event whose time cannot be read", "element"),
    "flow-branch-condition-missing": _f(
        "a gateway's branch without a condition that is not its default", "element gateway"
    ),
    "flow-schema-attribute-not-allowed": _f(
        "BPMN 2.0 does not allow the attribute here", "element tag attribute"
    ),
    "flow-schema-attribute-missing": _f("a required attribute is missing", "element tag attribute"),
    "flow-schema-value-invalid": _f(
        "an attribute's value is not of its type", "element tag attribute value"
    ),
    "flow-schema-element-unexpected": _f(
        "BPMN 2.0 does not allow the element at this place", "element tag expected"
    ),
    "flow-schema-child-missing": _f("a required child element is missing", "element tag expected"),
    "flow-schema-text-not-allowed": _f("text where BPMN 2.0 allows only elements", "element tag"),
    "flow-schema-id-duplicate": _f("an id is used twice", "element value"),
    "flow-schema-reference-unknown": _f("a reference to no element's id", "element value"),
    "flow-schema-invalid": _f("another violation of the BPMN 2.0 schema", "element tag detail"),
    "flow-start-missing": _f("a process without a start event", "element"),
    "flow-script-missing": _f("a script task without a script", "element"),
    "flow-script-refused": _f(
        "a script line uses what flows may not (import, f-strings, open(), names starting with _…)",
        "element line source construct",
    ),
    "flow-condition-refused": _f(
        "a condition uses what flows may not (eval(), names starting with _…)",
        "element source construct",
    ),
    "flow-condition-invalid": _f(
        "a condition is not a Python condition (a syntax error, = for ==)",
        "element source suggested",
    ),
    "flow-script-invalid": _f(
        "a script line is not valid Python (a syntax error)",
        "element line source",
    ),
    "flow-subprocess-end-missing": _f("a subprocess without an end event", "element"),
    "flow-subprocess-start-count": _f("a subprocess needs exactly one start event", "element"),
    "flow-decision-missing": _f(
        "a business rule task calls a decision no DMN holds", "element decision"
    ),
    "flow-decision-unnamed": _f("a business rule task names no decision", "element"),
    "flow-engine-refused": _f("the workflow engine cannot run the element", "element kind detail"),
    "flow-decision-unused": _f("no business rule task calls this decision", "element"),
    "flow-declaration-unreadable": _f(
        "a field.* or decision.* property cannot be read", "element property"
    ),
    "flow-markup-element": _f("an element of another vocabulary or engine", "element tag"),
    "flow-extension-foreign": _f(
        "another engine's extension (Camunda, Flowable…)", "element tag engine"
    ),
    "flow-markup-in-text": _f("an element inside documentation or text", "element tag"),
    "flow-markup-attribute": _f("an attribute of another vocabulary", "element attribute tag"),
    "flow-markup-instruction": _f("a processing instruction", "element target"),
    "flow-file-not-utf8": _f("a flow file that is not UTF-8 text", "file"),
    "flow-file-name-twice": _f("two uploaded files have the same name", "file"),
    "flow-lane-not-role": _f("a lane that is not a role acting in flows", "element lane roles"),
    "flow-task-role-unknown": _f(
        "a task's candidate group or role property is not a role", "element role roles"
    ),
    "flow-end-no-status": _f("an end event that names no final status", "element statuses"),
    "flow-end-not-allowed": _f(
        "the program's flow may not end with this status", "element status statuses"
    ),
    "flow-no-end": _f("the process has no end event with a final status", "element statuses"),
    "flow-end-missing": _f("the program's flow needs an end with this status", "element status"),
    "flow-gateway-decision-unhandled": _f(
        "a gateway has no branch for a decision of the tasks before it", "element decision tasks"
    ),
    "flow-element-unreachable": _f(
        "no start event leads to the element: it is not connected", "element name"
    ),
    "flow-element-dead-end": _f("a step has no outgoing sequence flow", "element name"),
    "flow-step-outgoing-many": _f(
        "a step other than a gateway has several outgoing sequence flows (put a gateway after it)",
        "element name kind",
    ),
    "flow-gateway-decisions-merged": _f(
        "two decisions of a task take the same branch of the gateway after it",
        "element decisions tasks target",
    ),
    "flow-gateway-conditions-overlap": _f(
        "two branches' conditions hold for one decision (the engine picks by drawing position)",
        "element decision targets",
    ),
    "flow-decision-reaches-payout": _f(
        "a reject or return leads on to a payout with no person's task between",
        "element decision tasks target",
    ),
    "flow-task-decisions-unrouted": _f(
        "a task offers decisions no exclusive gateway after it routes", "element decisions"
    ),
    "flow-check-too-long": _f("checking the conditions took too long", "element seconds"),
    "flow-payout-without-county": _f("payout or enrolment reachable without the county", "element"),
    "flow-field-reserved": _f("a task's field is a variable the service sets", "element field"),
    "flow-money-field-type": _f(
        "a field of what is paid is not declared with its type", "element field declaration"
    ),
    "flow-payout-reference-missing": _f(
        "a finance officer's task that declares data lacks field.bank_reference", "element"
    ),
    "flow-money-without-county": _f(
        "a change to what is paid can reach a payout without the county", "element target"
    ),
    # --- insurance (平安保障): yearly batches paying the insurer ------------------------------
    "insurance-plan-not-found": _c(404, "no such insurance plan in the catalogue", "plan"),
    "insurance-county-only": _c(403, "insurance batches are acted on at county level", "step"),
    "insurance-year-closed": _c(
        422, "insurance is bought for this year or the next", "year first last"
    ),
    "insurance-batch-waiting": _c(409, "a batch of the year awaits approval", "batch_id year"),
    "insurance-nothing-to-insure": _c(409, "every household is insured or listed", "year"),
    "insurance-batch-made-meanwhile": _c(409, "another batch was made meanwhile", "year"),
    "insurance-batch-not-found": _c(404, "no such insurance batch", "batch_id"),
    "insurance-batch-decided": _c(409, "the batch was decided already", "batch_id status"),
    "insurance-batch-own": _c(403, "the batch's maker does not approve it", "batch_id"),
    "insurance-payee-missing": _c(409, "the plan's payee account is not configured", "account"),
    "insurance-premium-exists": _c(
        409, "the household owes the insurer for the year already", "application_id year"
    ),
    "insurance-batch-not-approved": _c(
        409, "policies are recorded on an approved batch", "batch_id status"
    ),
    "insurance-policy-not-in-batch": _c(
        422, "no approved household of the batch", "application_id batch_id"
    ),
    "insurance-policy-recorded": _c(
        409, "the household has another policy number", "application_id policy_no"
    ),
    "insurance-policy-number-taken": _c(409, "a policy number is another's", "batch_id"),
    "insurance-policy-repeated": _c(422, "a line repeats a household or number", "line"),
    # --- payouts, batches, recoveries --------------------------------------------------------
    "payout-not-found": _c(404, "no such payout", "payout_id"),
    "payout-one-time": _c(409, "a one-time payout is paid through its task", "payout_id"),
    "payout-in-batch": _c(409, "the payout awaits the bank in a batch line", "payout_id line"),
    "payout-task-in-batch": _c(409, "the task's payout awaits the bank in a batch line", "line"),
    "payout-not-pending": _c(409, "the payout is not pending", "payout_id status"),
    "payout-changed-meanwhile": _c(409, "the payout changed meanwhile", "payout_id"),
    "payout-settle-by-hand": _c(409, "settle this line by hand", "payout_id status"),
    "payout-task-missing": _c(409, "the case has no open payout task", "application_id"),
    "payouts-batched-meanwhile": _c(409, "another batch took some of these payouts"),
    "nothing-to-batch": _c(409, "no pending payout to batch"),
    "batch-not-found": _c(404, "no such payout batch", "batch_id"),
    "batch-totals-mismatch": _c(
        409, "the batch's lines do not add up", "batch line_count total_fen count total"
    ),
    "batch-lines-total-mismatch": _c(409, "the batch's lines do not add up", "batch_id"),
    "batch-nothing-to-send": _c(409, "every line has the bank's result already", "batch"),
    "batch-roster-households": _c(
        409, "a households' batch has no person roster: its lines are the persons", "batch"
    ),
    "batch-lines-cancelled": _c(409, "some lines' payouts were cancelled", "lines"),
    "batch-results-conflict": _c(409, "a recorded bank result is final", "lines"),
    "result-file-missing": _c(422, "upload the bank's result file"),
    "result-file-encoding": _c(422, "the result file is not UTF-8 text"),
    "result-file-header": _c(422, "the result file needs its header row", "columns"),
    "result-file-empty": _c(422, "the result file holds no line"),
    "result-file-line": _c(422, "a line of the result file is invalid", "line message"),
    "result-line-invalid": _c(422, "console: a result line is invalid"),
    "result-lines-mismatch": _c(422, "lines do not match the batch", "count fields"),
    "result-line-duplicate": _f("the line is listed twice", "reference"),
    "result-line-unknown": _f("no such line in the batch", "reference"),
    "result-amount-mismatch": _f(
        "the bank's amount is not the line's", "reference amount_fen line_amount_fen"
    ),
    "failed-line-reason-required": _f("a failed line needs the bank's reason"),
    "amount-invalid": _c(422, "console: not an amount in yuan"),
    "standard-missing": _c(422, "no base standard for the year", "program year event_kind"),
    "recovery-not-found": _c(404, "no such recovery", "recovery_id"),
    "recovery-changed-meanwhile": _c(409, "the recovery changed meanwhile"),
    "recovery-closed": _c(409, "nothing more is owed", "recovery_id status"),
    "recovery-amount-exceeds-balance": _c(422, "the amount exceeds the balance", "balance"),
    "reference-blank": _f("the reference must not be blank"),
    # --- life events (a parent's death, a move away, a review's refusal) ---------------------
    "life-event-not-found": _c(404, "no such life event", "event_id"),
    "life-event-kind-unknown": _f("a life event is a death or a move away", "kinds"),
    "life-event-person-required": _f("a death names the parent who died", "persons"),
    "life-event-no-spouse": _f("the case names no spouse"),
    "life-event-date-in-future": _f("the event's date is in the future", "today"),
    "life-event-reason-required": _f("a rejected life event needs its reason"),
    "life-event-caseworker-only": _c(403, "only the village caseworker records a life event"),
    "life-event-county-approver-only": _c(
        403, "only the county approver confirms or rejects a life event"
    ),
    "life-event-own-record": _c(403, "the recorder of a life event does not confirm it"),
    "life-event-case-not-enrolled": _c(
        409, "life events change an enrolment only", "application_id status"
    ),
    "life-event-already-dead": _c(409, "that parent's death is confirmed already", "person"),
    "life-event-pending-exists": _c(
        409, "an event of the case already waits for the county", "application_id"
    ),
    "life-event-decided": _c(409, "the life event is decided already", "event_id status"),
    "life-event-payout-at-bank": _c(
        409, "a payout the event changes is at the bank; wait for its result", "payout_id"
    ),
    # --- notices, rosters, incidents, audit, idempotency --------------------------------------
    "notice-not-found": _c(404, "no such public notice", "notice_id"),
    "notice-closed": _c(409, "the notice period is over", "notice_id state"),
    "objection-blank": _c(422, "the objection must say what is wrong"),
    "objection-too-long": _c(422, "the objection is too long", "limit"),
    "county-code-invalid": _c(422, "county is a 6-digit region code"),
    "township-code-invalid": _c(422, "township is a 9-digit code inside the county"),
    "township-not-found": _c(404, "no such township in your jurisdiction", "township"),
    "incident-not-found": _c(404, "no such incident", "incident_id"),
    "incident-already-retried": _c(409, "the incident was already retried", "incident_id"),
    "incident-kind-not-retriable": _c(409, "incidents of this kind are not retried", "kind"),
    "audit-filter-invalid": _c(422, "console: the audit filter is not valid"),
    "page-not-found": _c(404, "console: no such page"),
    "idempotency-key-reused": _c(
        422, "the Idempotency-Key was used for another request", "method path"
    ),
    "iso-date-expected": _f("expected an ISO 8601 date or time"),
}


def known(code: str, *, field: bool = False) -> bool:
    """Whether ``code`` is registered (a field error may also carry a pydantic error type)."""
    return code in CODES or (field and code in PYDANTIC_TYPES)


def markdown() -> str:
    """docs/problems.md: the registry as a reference a client can translate from."""
    lines = [
        "# Problem codes",
        "",
        "Every error the API answers is an RFC 9457 problem (`application/problem+json`) with",
        "`type`, `title`, `status`, `detail`, `instance`, `request_id` and two members meant for",
        "clients that speak to people in their own language:",
        "",
        "- `code`: a stable kebab-case name of this particular refusal;",
        "- `params`: an object of the values its message needs (ids, names, lists, limits).",
        "",
        "`detail` stays an English sentence. A 422 with field errors lists them in `errors`, each",
        "`{field, message, code, params}`. A field error's code is one of the service's below",
        "(kind *field*), or one of pydantic's error types (`missing`, `string_too_long`,",
        "`string_pattern_mismatch`, `int_parsing`, …) with pydantic's context as params: see",
        f"<{PYDANTIC_ERRORS}>.",
        "A per-item result of a bulk command (`problem` of a refused item) carries `code` and",
        "`params` too.",
        "",
        "Kinds: *edge* — answered by the HTTP layer itself; *problem* — a refusal of the service;",
        "*field* — appears only inside `errors` of a 422.",
        "",
        "This file is generated from `service/http/codes.py`",
        "(`.venv/bin/python -m service.http.codes > docs/problems.md`); a test fails when they",
        "differ.",
        "",
        "| code | status | kind | meaning | params |",
        "|---|---|---|---|---|",
    ]
    for name, code in sorted(CODES.items()):
        params = ", ".join(f"`{param}`" for param in code.params)
        lines.append(f"| `{name}` | {code.status} | {code.kind} | {code.meaning} | {params} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(markdown())
