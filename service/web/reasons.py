"""The console's words for every refusal: a problem's ``code`` and ``params`` → a sentence in
the page's language.

The API answers every refusal with an English ``detail`` and a stable ``code`` with its
``params`` (``service/http/codes.py``); API clients keep the ``detail``. The console says it in
its own words from the code: ``MESSAGES`` holds a catalogue message for every registered code
(and for the pydantic error types forms meet), with ``%(param)s`` placeholders among the
code's registered params. Params are shown as people read them: document kinds, events,
roles, statuses and decisions through the vocabulary, programs and regions by name (when the
caller passes ``labels``), lists joined as the language joins them, waits in minutes, sizes in
MB, amounts in yuan. A code without a message, or params that do not fit it, fall back to a
general message for the status: saying a refusal never fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from service.errors import ReliefError
from service.http import codes
from service.web import i18n
from service.web.i18n import N_
from service.web.labels import Labels
from service.web.vocabulary import term

# General messages by HTTP status, for a code the catalogue lacks or params that do not fit.
GENERAL: dict[int, str] = {
    400: N_("The request could not be handled; reload the page and try again."),
    401: N_("Log in to continue."),
    403: N_("Your role or jurisdiction does not allow this."),
    404: N_("Not found, or outside your jurisdiction."),
    405: N_("There is no such page."),
    409: N_("This was changed meanwhile; reload the page and try again."),
    413: N_("The file or form is too large."),
    422: N_("Some input is not valid; check it and try again."),
    429: N_("Too many attempts; try again later."),
    500: N_("Something went wrong; it has been recorded. Try again later."),
    503: N_("The service is unavailable; try again shortly."),
}

RELOAD = N_("The case changed meanwhile; reload the page and try again.")
REQUIRED = N_("This field is required.")
DATE = N_("Enter a date as YYYY-MM-DD.")
CHOOSE = N_("Choose one of the listed options.")
UNSTORABLE = N_("The text holds a control character that cannot be stored; remove it.")
BATCH_SUMS = N_("The batch's lines do not add up; tell the administrator.")
IN_BATCH = N_("This payout awaits the bank in batch line %(line)s.")
RELOGIN = N_("Your login has expired; log in again.")
NO_PAGE = N_("There is no such page.")
UNNAMED = N_("(no name)")

MESSAGES: dict[str, str] = {
    # --- the HTTP edge ---------------------------------------------------------------------
    "invalid-input": GENERAL[422],
    "body-invalid": N_("The form could not be read; reload the page and try again."),
    "body-too-large": N_("The upload is larger than %(limit)s."),
    "not-found": NO_PAGE,
    "method-not-allowed": NO_PAGE,
    "http-error": N_("The request could not be handled (error %(status)s)."),
    "conflict": N_("This was changed meanwhile; reload the page and try again."),
    "value-not-storable": N_("A value holds a character that cannot be stored; remove it."),
    "service-unavailable": N_("The service is unavailable; try again shortly."),
    "internal-error": N_("Something went wrong; it has been recorded. Try again later."),
    # --- authentication and roles ------------------------------------------------------------
    "token-missing": N_("Log in to continue."),
    "token-invalid": RELOGIN,
    "token-algorithm": RELOGIN,
    "user-unknown-or-disabled": N_("This account is unknown or deactivated."),
    "login-failed": N_("Wrong username or password."),
    "login-required": N_("Log in to continue."),
    "session-ended": N_("Your session has ended; log in again."),
    "current-password-wrong": N_("The current password is wrong."),
    "login-throttled": N_("Too many failed logins; try again in %(retry_after)s."),
    "login-address-throttled": N_(
        "Too many failed logins from this network address; try again in %(retry_after)s."
    ),
    "login-slowed": N_(
        "Many failed logins of this account: wait %(retry_after)s before the next try."
    ),
    "login-rate-limited": N_("Too many logins in one minute; try again in %(retry_after)s."),
    "password-checks-busy": N_("The service is busy; try again in %(retry_after)s."),
    "token-revoked": N_("The password was changed; log in again."),
    "password-attempts-throttled": N_("Too many wrong passwords; try again in %(retry_after)s."),
    "rate-limited": N_("Too many requests; try again in %(retry_after)s."),
    "password-changed-meanwhile": N_("The password was changed meanwhile; log in again."),
    "password-weak": N_("The new password does not meet the policy."),
    "password-too-short": N_("At least %(minimum)s characters."),
    "password-too-long": N_("At most %(maximum)s characters."),
    "password-has-username": N_("It must not contain your username."),
    "password-simple": N_("It must not be a repeated character, pattern or simple sequence."),
    "password-common": N_("It must not be a commonly used password."),
    "password-unchanged": N_("It must differ from the current password."),
    "case-role-required": N_("Your roles do not act on cases."),
    "role-required": N_("This needs one of these roles: %(roles)s."),
    "caseworker-only": N_("Only the village caseworker does this."),
    "audit-role-required": N_("Only auditors and administrators read the audit trail."),
    "reveal-county-auditor-only": N_("Only a county auditor may reveal personal numbers."),
    "supervision-role-required": N_("The supervision view is for county staff."),
    "revocation-county-approver-only": N_("Only the county approver revokes a case."),
    "batch-finance-officer-only": N_("Bank batches are made by the finance officer."),
    "recovery-finance-officer-only": N_("Only the finance officer records recovered money."),
    "village-outside-jurisdiction": N_("%(village)s is outside your jurisdiction."),
    "csrf-cross-site": N_("The form was sent from another site and was refused."),
    "csrf-expired": N_("The form has expired; reload the page and try again."),
    "csrf-download": N_("Start this download from the console's own page."),
    # --- accounts ----------------------------------------------------------------------------
    "username-invalid": N_("A username is 2 to 64 lower-case letters, digits, '.', '_' or '-'."),
    "role-unknown": N_("Unknown role."),
    "region-unknown": N_("Unknown region."),
    "region-merged": N_("%(region)s was merged into %(merged_into)s; choose the current one."),
    "region-level-mismatch": N_("The roles chosen do not work at that region's level."),
    "name-length": N_("A name is 1 to %(max)s characters."),
    "user-exists": N_("That username is taken."),
    "user-not-found": N_("No such user in your jurisdiction."),
    "people-own-account": N_("Nobody changes their own account here; ask another administrator."),
    "people-outside-jurisdiction": N_("That region is outside your jurisdiction."),
    "last-admin": N_(
        "This is the county's last active administrator; make someone else an administrator first."
    ),
    "user-already-inactive": N_("The user is already deactivated."),
    "user-already-active": N_("The user is active."),
    "user-unchanged": N_("That changes nothing."),
    "roles-empty": N_("Choose at least one role."),
    "reason-required": N_("Say why, in 1 to 500 characters."),
    "hand-to-self": N_("Hand the tasks to someone else."),
    "password-change-required": N_(
        "An administrator set your password. Choose your own before you go on."
    ),
    # --- places ------------------------------------------------------------------------------
    "region-not-found": N_("No such region in your jurisdiction."),
    "region-code-invalid": N_("The number is three digits, 001 to 999."),
    "region-exists": N_("A region with this code exists already."),
    "region-parent-mismatch": N_("Choose the township or county the new region belongs to."),
    "region-county-cli-only": N_("A county is added on the server."),
    "region-merge-self": N_("A region cannot be merged into itself."),
    "region-merge-level": N_("A village merges into a village, a township into a township."),
    "region-merge-county": N_("Regions merge within one county only."),
    "region-already-merged": N_("This region was merged already."),
    "region-no-free-code": N_("The township has no free village number left."),
    # --- cases -------------------------------------------------------------------------------
    "case-not-found": N_("Case %(application_id)s was not found, or is outside your jurisdiction."),
    "duplicate-case": N_(
        "This household already has case %(existing_application_id)s in %(program)s."
    ),
    "duplicate-case-elsewhere": N_(
        "This household already has a case in %(program)s outside your jurisdiction."
    ),
    "household-event-too-soon": N_(
        "This household has case %(existing_application_id)s in %(program)s for an event of "
        "%(existing_event_date)s; another event counts only %(min_interval_months)s months "
        "apart, from %(possible_from)s on."
    ),
    "household-event-too-soon-elsewhere": N_(
        "This household has a case in %(program)s outside your jurisdiction; another event "
        "counts only %(min_interval_months)s months apart, from %(possible_from)s on."
    ),
    "family-planning-unconfirmed": N_(
        "%(program)s is for family-planning families: confirm the household is one and that "
        "you saw the originals."
    ),
    "program-unknown": N_("Choose an open program."),
    "program-not-found": N_("No such program."),
    "program-amount-unset": N_(
        "%(county)s has not set the amount of %(program)s for %(year)s; the county's"
        " administrator sets it first."
    ),
    "program-amount-none": N_(
        "No county has set the amount of %(program)s yet; set one before activating a flow for it."
    ),
    "program-amount-fixed": N_("%(program)s pays the catalogue's fixed amount; no county sets it."),
    "program-amount-year": N_("The year is %(first)s to %(last)s."),
    "program-amount-range": N_("The amount is more than 0 and at most %(max_fen)s."),
    "program-amount-county": N_("%(county)s is not a county."),
    "program-amount-outside-jurisdiction": N_("%(county)s is outside your jurisdiction."),
    "village-unknown": N_("Choose a village of your jurisdiction."),
    "village-merged": N_("%(village)s was merged into %(merged_into)s; submit to that village."),
    "event-kind-not-covered": N_("%(program)s covers these events only: %(event_kinds)s."),
    "event-date-future": N_("The event date cannot be in the future."),
    "spouse-is-applicant": N_("The spouse cannot be the applicant; check the ID numbers."),
    "ineligible": N_("The program's rules find this case ineligible."),
    "case-not-correctable": N_(
        "The case is %(status)s and not with the village caseworker; it cannot be corrected now."
    ),
    "case-not-editable": N_("The case is %(status)s; documents cannot be added now."),
    "case-not-withdrawable": N_("The case is %(status)s; it can no longer be withdrawn."),
    "case-not-revocable": N_("Only a county-approved case is revoked; this one is %(status)s."),
    "reason-blank": N_("Give a reason."),
    "evidence-required": N_("Attach at least one evidence file."),
    "withdrawal-reason-required": N_("Give the household's reason for withdrawing."),
    "document-kind-unknown": N_("Choose a document kind from the list."),
    "document-kind-required": N_("Choose the kind of document."),
    "document-type-unsupported": N_("Only PDF, JPEG and PNG files are accepted."),
    "document-not-found": N_("No such document in this case."),
    "documents-missing": N_("Attach the required documents first: %(missing)s."),
    "file-required": N_("Choose a file to upload."),
    "file-empty": N_("The file is empty."),
    "file-too-large": N_("The file is larger than %(limit)s."),
    "case-changed-meanwhile": RELOAD,
    "record-changed-meanwhile": RELOAD,
    "review-changed-meanwhile": N_(
        "The case's yearly review changed meanwhile; reload the page and try again."
    ),
    "case-payouts-changed-meanwhile": N_(
        "A payout of the case changed meanwhile; reload the page and try again."
    ),
    "eligible-parents-above-record": N_(
        "The case names %(max)s parents; no more can receive the benefit."
    ),
    "id-number-format": N_(
        "A resident ID number has 17 digits and a check character (a digit or X)."
    ),
    "id-check-digit": N_("This resident ID number is not valid (its check character is wrong)."),
    "id-birth-date": N_("This resident ID number holds no valid birth date."),
    "bank-card-format": N_("A bank card number has 16 to 19 digits."),
    "bank-card-check-digit": N_("This bank card number is not valid; check it."),
    "name-blank": N_("Enter the name."),
    "event-kind-unknown": N_("Choose an event from the list."),
    "extra-fields-too-large": N_("The additional fields are larger than %(limit)s."),
    "text-control-character": UNSTORABLE,
    "text-unpaired-surrogate": UNSTORABLE,
    "json-too-deep": N_("A value nests more than %(max_depth)s levels deep."),
    "json-too-many-keys": N_("A value holds more than %(max_keys)s entries."),
    "json-string-too-long": N_("A text is longer than %(max_length)s characters."),
    "json-key-invalid": N_("A field name is too long or holds a character that cannot be stored."),
    "json-number-invalid": N_("A number is too large or not a number."),
    # --- tasks -------------------------------------------------------------------------------
    "task-not-found": N_("Task %(task_id)s was not found, or is outside your jurisdiction."),
    "case-task-not-found": N_("This case has no such task."),
    "task-role-mismatch": N_("This task is for the role %(role)s."),
    "task-not-ready": N_("This task is no longer open; reload the page."),
    "task-claimed-by-other": N_("Another user has claimed this task."),
    "task-claimed-meanwhile": N_(
        "The task was claimed, reassigned or completed meanwhile; look at it again."
    ),
    "task-release-not-claimer": N_("Only the user who claimed the task can release it."),
    "task-completed-meanwhile": N_("The task was completed meanwhile; reload the page."),
    "task-moved-on": N_("The task has moved on meanwhile; reload the page."),
    "task-not-in-lane": N_("This step of the flow is not yours to complete."),
    "task-not-in-workflow": N_("This task is not part of the case's flow."),
    "workflow-not-waiting": N_("The case's flow is not waiting for this step."),
    "task-not-reassignable": N_("Only a task that is claimed or past its deadline is reassigned."),
    "reassign-role-required": N_(
        "Only a county approver, or a township reviewer for the township's steps, reassigns."
    ),
    "reassign-target-cannot-act": N_(
        "This person may not take the task: it needs its role, a jurisdiction covering its "
        "village, an active account, and no decision at another level of this case."
    ),
    "reassign-same-holder": N_("This person already holds the task."),
    "user-inactive": N_("This account is deactivated and acts on no task."),
    "sod-own-submission": N_(
        "You submitted this case; someone else approves it above the village."
    ),
    "sod-one-level": N_(
        "You already decided on this case at another level; one person decides one level only."
    ),
    "bulk-role-not-allowed": N_(
        "Tasks of the role %(role)s are not completed in a batch; open each case."
    ),
    "data-field-undeclared": N_("This task does not take “%(field)s”."),
    "data-field-type": N_("“%(field)s” must be %(type)s; check it and try again."),
    "data-field-range": N_("“%(field)s” must be between %(min)s and %(max)s; check it."),
    "data-field-too-long": N_("“%(field)s” is limited to %(max)s characters; check it."),
    "data-field-required": N_("Approving needs “%(field)s”; check the fields and try again."),
    "data-field-reserved": N_("“%(field)s” is set by the service and cannot be entered."),
    "comment-required": N_("%(decision)s needs a reason the applicant can read."),
    "decision-not-offered": N_(
        "This task does not offer that decision; choose one of those shown."
    ),
    "data-integer-too-large": N_("The number in “%(key)s” is too large."),
    "data-key-invalid": N_("“%(key)s” is not a valid field name."),
    "task-listed-twice": N_("Task %(task_id)s is listed twice."),
    # --- flows and the engine ----------------------------------------------------------------
    "flow-refused": N_("The flow was refused; see each problem listed."),
    "flow-bpmn-count": N_("Upload exactly one BPMN file."),
    "flow-dmn-count": N_("At most %(limit)s DMN files per flow."),
    "flow-note-too-long": N_("The note is limited to %(limit)s characters."),
    "flow-note-required": N_("Say why in the note: a saved version needs one."),
    "flow-key-mismatch": N_(
        "The drawing's process id is %(found)s, not %(key)s: a version keeps its flow's key."
    ),
    "flow-key-exists": N_("A flow %(key)s exists already: edit it instead."),
    "flow-template-not-found": N_("No flow template %(name)s."),
    "flow-process-count": N_(
        "A flow holds exactly one executable process; this one holds %(count)s."
    ),
    "dmn-decision-count": N_("A DMN file holds exactly one decision; this one holds %(count)s."),
    "dmn-invalid": N_("The DMN file is not valid."),
    "dmn-rules-overlap": N_(
        "Decision table %(element)s: rules %(rules)s both match one input (%(input)s), and its "
        "hit policy UNIQUE allows one. Make the rules exclusive, or declare the hit policy FIRST."
    ),
    "dmn-rules-disagree": N_(
        "Decision table %(element)s: rules %(rules)s match one input (%(input)s) with different "
        "outputs, and its hit policy ANY needs matching rules to agree."
    ),
    "dmn-priority-unordered": N_(
        "Decision table %(element)s: the hit policy %(policy)s orders matching rules by the "
        "outputs' allowed values (outputValues), and no output declares them."
    ),
    "dmn-aggregation-invalid": N_(
        "Decision table %(element)s: the aggregation %(aggregation)s needs the hit policy "
        "COLLECT and exactly one output."
    ),
    "xml-doctype-forbidden": N_("DOCTYPE and ENTITY declarations are not allowed in flow files."),
    "xml-malformed": N_("The file is not well-formed XML."),
    "xml-too-many-elements": N_("The flow has %(count)s elements; at most %(limit)s are allowed."),
    "flow-version-not-found": N_("No such flow version."),
    "flow-version-number-not-found": N_("The flow %(key)s has no version %(number)s."),
    "flow-dmn-not-found": N_("Version %(number)s of the flow %(key)s has no DMN file %(name)s."),
    "flow-version-deleted": N_("Version %(number)s of the flow %(key)s was deleted."),
    "flow-version-activated": N_(
        "Version %(number)s of the flow %(key)s has been activated: it cannot be deleted, only"
        " superseded by activating another version."
    ),
    "flow-content-deleted": N_(
        "This file was version %(number)s of the flow %(key)s, which was deleted; change the"
        " flow to upload it again."
    ),
    "flow-not-bound": N_("No program uses the flow %(key)s; choose the program."),
    "flow-bound-to-several": N_("Several programs use the flow %(key)s; choose the program."),
    "flow-is-review": N_("The flow %(key)s is a yearly review flow; it cannot run applications."),
    "flow-failed": N_("The flow could not proceed; tell the administrator."),
    "flow-end-unknown": N_(
        "The flow ended at an end event that names no status; tell the administrator."
    ),
    "flow-task-no-lane": N_(
        "Task %(task)s sits in no lane, so nobody can act on it: put it in a lane named by a "
        "role, or give it camunda:candidateGroups or a spiffworkflow property role."
    ),
    "flow-service-task": N_("Service tasks are not available to flows."),
    "timer-invalid": N_("The timer %(timer)s is not an ISO 8601 duration, date or cycle."),
    "timer-transition-invalid": N_(
        "A timer would move the review from %(from)s to %(to)s; tell the administrator."
    ),
    "expression-syntax": N_("The expression %(expression)s has a syntax error."),
    "expression-refused": N_("The expression %(expression)s is not allowed in flows."),
    "expression-operator": N_("The operator %(operator)s is not allowed in flow expressions."),
    "expression-attribute": N_("The attribute %(attribute)s is not allowed in flow expressions."),
    "expression-too-large": N_("A value in a flow expression is larger than %(limit)s."),
    "expression-percent-format": N_(
        "Formatting text with the percent sign is not allowed in flow expressions."
    ),
    "expression-str-argument": N_("str() takes a number or a text."),
    "expression-sum-too-long": N_("sum() adds up %(limit)s numbers at most."),
    "expression-sum-start": N_("sum() starts from a number."),
    "expression-range-too-long": N_("range() is limited to %(limit)s numbers."),
    "expression-step-id": N_("Flow functions take a step id (a text)."),
    "expression-timeout": N_("A flow expression ran longer than %(timeout_ms)s ms."),
    # --- a flow refusal's problems, one each (errors[] of flow-refused) ----------------------
    "flow-element-unsupported": N_(
        "%(element)s: this kind of element (%(kind)s) is not supported; flows use user, manual, "
        "script and business rule tasks, gateways, timers and embedded subprocesses."
    ),
    "flow-signal-not-caught": N_(
        "%(element)s: a flow only waits for a signal, in an intermediate catch event; it never "
        "sends one."
    ),
    "flow-signal-unknown": N_(
        "%(element)s: the service never sends the signal %(signal)s; flows may wait for: "
        "%(signals)s."
    ),
    "flow-id-missing": N_(
        "An element (%(kind)s, line %(line)s) inside %(element)s has no id; give it one."
    ),
    "flow-process-missing": N_(
        'The file holds no process: a flow is one BPMN process with isExecutable="true".'
    ),
    "flow-process-not-executable": N_(
        'Process %(element)s is not executable: set isExecutable="true" on the process the '
        "service should run."
    ),
    "flow-process-several": N_(
        'Processes %(processes)s are all executable: keep isExecutable="true" on one only.'
    ),
    "flow-expression-juel": N_(
        "%(element)s: %(expression)s is a Camunda-style expression; expressions here are Python: "
        "write %(python)s."
    ),
    "flow-script-language": N_(
        "%(element)s is written in %(language)s; scripts and conditions are Python: rewrite it in"
        " Python."
    ),
    "flow-timer-unquoted": N_(
        "Timer %(element)s: write the ISO 8601 value as a Python string: '%(timer)s'."
    ),
    "flow-timer-unreadable": N_(
        "Timer %(element)s cannot be read: give it a duration, date or cycle as a Python string "
        "such as 'PT72H'."
    ),
    "flow-branch-condition-missing": N_(
        "Sequence flow %(element)s leaves gateway %(gateway)s without a condition and is not its "
        "default: give it a condition such as decision == 'approve', or make it the default flow."
    ),
    "flow-schema-attribute-not-allowed": N_(
        "%(element)s: BPMN 2.0 does not allow the attribute %(attribute)s on %(tag)s; remove it."
    ),
    "flow-schema-attribute-missing": N_(
        "%(element)s: %(tag)s needs the attribute %(attribute)s; set it."
    ),
    "flow-schema-value-invalid": N_(
        "%(element)s: the value %(value)s of the attribute %(attribute)s is not valid."
    ),
    "flow-schema-element-unexpected": N_(
        "%(element)s: BPMN 2.0 does not allow %(tag)s at this place; move or remove it (expected "
        "here: %(expected)s)."
    ),
    "flow-schema-child-missing": N_(
        "%(element)s: %(tag)s lacks a required element; add one of %(expected)s."
    ),
    "flow-schema-text-not-allowed": N_(
        "%(element)s: %(tag)s holds text where only elements are allowed; remove the text."
    ),
    "flow-schema-id-duplicate": N_(
        "%(element)s: the id %(value)s is used twice; give each element its own id."
    ),
    "flow-schema-reference-unknown": N_(
        "%(element)s: %(value)s is the id of no element of the file; fix the reference."
    ),
    "flow-schema-invalid": N_(
        "%(element)s: %(tag)s does not follow the BPMN 2.0 schema; correct it in a modeler."
    ),
    "flow-start-missing": N_("%(element)s has no start event; add one."),
    "flow-script-missing": N_(
        "Script task %(element)s holds no script: write its Python script, or remove the task."
    ),
    "flow-script-refused": N_(
        "Script of %(element)s, line %(line)s (%(source)s): %(construct)s is not allowed in flow "
        "scripts; write plain Python statements and the functions flows allow, or remove it."
    ),
    "flow-condition-refused": N_(
        "The condition of %(element)s (%(source)s): %(construct)s is not allowed in "
        "conditions; compare what the task decided, such as decision == 'approve'."
    ),
    "flow-condition-invalid": N_(
        "The condition of %(element)s (%(source)s) is not a Python condition (a syntax "
        "error); write a comparison such as %(suggested)s."
    ),
    "flow-script-invalid": N_(
        "Script of %(element)s, line %(line)s (%(source)s) is not valid Python (a syntax "
        "error); correct it."
    ),
    "flow-subprocess-end-missing": N_(
        "Subprocess %(element)s has no end event; add one inside it."
    ),
    "flow-subprocess-start-count": N_("Subprocess %(element)s needs exactly one start event."),
    "flow-decision-missing": N_(
        "%(element)s calls the decision %(decision)s, which no uploaded DMN file holds; upload it"
        " with the flow."
    ),
    "flow-decision-unnamed": N_(
        "%(element)s names no decision: set its calledDecisionId to a decision of an uploaded "
        "DMN file."
    ),
    "flow-engine-refused": N_(
        "%(element)s cannot be run by the workflow engine; correct it in a modeler."
    ),
    "flow-decision-unused": N_("No business rule task of the flow calls the decision %(element)s."),
    "flow-declaration-unreadable": N_(
        "%(element)s: the property %(property)s cannot be read. A field is written "
        "'<type> [min=N] [max=N] [required]', its type one of integer, decimal, boolean, text, "
        "reference, date, card, and its name in lower-case a-z, 0-9 and _; a decision is "
        "written 'Chinese | English', optionally followed by '| Chinese hint | English hint'."
    ),
    "flow-markup-element": N_(
        "%(element)s: %(tag)s is not part of BPMN; remove it (flows hold no markup of other "
        "vocabularies or engines)."
    ),
    "flow-extension-foreign": N_(
        "%(element)s: %(tag)s is an extension of %(engine)s, which this service does not read; "
        "remove it."
    ),
    "flow-markup-in-text": N_(
        "%(element)s: documentation holds text only, not %(tag)s; remove it."
    ),
    "flow-markup-attribute": N_(
        "%(element)s: the attribute %(attribute)s on %(tag)s is not part of BPMN; remove it."
    ),
    "flow-markup-instruction": N_(
        "The processing instruction <?%(target)s?> is not allowed in flows; remove it."
    ),
    "flow-file-not-utf8": N_("%(file)s is not UTF-8 text."),
    "flow-file-name-twice": N_("Two uploaded files are named %(file)s."),
    "flow-lane-not-role": N_(
        "Lane %(element)s: %(lane)s is not a role that acts in flows; name the lane by one of: "
        "%(roles)s."
    ),
    "flow-task-role-unknown": N_(
        "Task %(element)s: %(role)s is not a role that acts in flows; use one of: %(roles)s."
    ),
    "flow-end-no-status": N_(
        "End event %(element)s names no final status; name it by one of: %(statuses)s."
    ),
    "flow-end-not-allowed": N_(
        "End event %(element)s (%(status)s): this program's flow may end only at: %(statuses)s."
    ),
    "flow-no-end": N_(
        "Process %(element)s has no end event with a final status; add one: %(statuses)s."
    ),
    "flow-end-missing": N_("The flow %(element)s needs an end event with the status %(status)s."),
    "flow-gateway-decision-unhandled": N_(
        "Gateway %(element)s has no branch for the decision %(decision)s after %(tasks)s; add "
        "one, or a default flow."
    ),
    "flow-element-unreachable": N_(
        "%(element)s%(name)s is not connected: no start event leads to it, so it would never "
        "run. Connect it with a sequence flow, or delete it."
    ),
    "flow-element-dead-end": N_(
        "%(element)s%(name)s leads nowhere: draw a sequence flow from it to the next step, or "
        "end the path at an end event with a final status."
    ),
    "flow-step-outgoing-many": N_(
        "%(element)s%(name)s has several outgoing sequence flows, and a step leads to one next "
        "step: to choose between ways, draw one flow from it to an exclusive gateway, and a "
        "branch with a condition from the gateway to each way."
    ),
    "flow-gateway-decisions-merged": N_(
        "At gateway %(element)s, the decisions %(decisions)s of %(tasks)s take the same branch "
        "(to %(target)s): the case goes the same way whichever is decided. Give each decision "
        "its own branch."
    ),
    "flow-gateway-conditions-overlap": N_(
        "At gateway %(element)s, more than one branch's condition holds for the decision "
        "%(decision)s (to %(targets)s): the engine takes the one drawn higher, so moving a box "
        "changes the route. Make each condition name one decision."
    ),
    "flow-decision-reaches-payout": N_(
        "At gateway %(element)s, the decision %(decision)s of %(tasks)s leads on to %(target)s "
        "with nobody deciding again: it would pay. Lead it to a rejected end or back to an "
        "earlier step."
    ),
    "flow-task-decisions-unrouted": N_(
        "Task %(element)s offers %(decisions)s, but no exclusive gateway after it routes them: "
        "the case would go on whatever was decided. Add a gateway after the task with a branch "
        "for each."
    ),
    "flow-check-too-long": N_(
        "Checking the conditions after %(element)s took over %(seconds)s s; simplify them."
    ),
    "flow-payout-without-county": N_(
        "%(element)s can be reached without county approval; payout and enrolment come only after"
        " it."
    ),
    "flow-field-reserved": N_(
        "Task %(element)s: the field %(field)s is set by the service; rename it."
    ),
    "flow-money-field-type": N_(
        "Task %(element)s: the field %(field)s changes what is paid; declare it as %(declaration)s."
    ),
    "flow-payout-reference-missing": N_(
        "Finance task %(element)s declares data but not field.bank_reference as 'reference "
        "required'."
    ),
    "flow-money-without-county": N_(
        "A change to what is paid made at %(element)s can reach %(target)s without county "
        "approval; route it to the county first."
    ),
    # --- payouts, batches, recoveries --------------------------------------------------------
    "payout-not-found": N_("No such payout."),
    "payout-one-time": N_("A one-time payout is paid through its task."),
    "payout-in-batch": IN_BATCH,
    "payout-task-in-batch": IN_BATCH,
    "payout-not-pending": N_("This payout is %(status)s, not pending."),
    "payout-changed-meanwhile": N_("The payout changed meanwhile; reload the page."),
    "payout-settle-by-hand": N_("Settle this line by hand; the payout is %(status)s."),
    "payout-task-missing": N_("Case %(application_id)s has no open payout task."),
    "payouts-batched-meanwhile": N_(
        "Another batch took some of these payouts meanwhile; reload the page."
    ),
    "nothing-to-batch": N_("No pending payout to put in a batch."),
    "batch-not-found": N_("No such bank batch."),
    "batch-totals-mismatch": BATCH_SUMS,
    "batch-lines-total-mismatch": BATCH_SUMS,
    "batch-nothing-to-send": N_("Every line of this batch has the bank's result already."),
    "batch-roster-households": N_(
        "Batch %(batch)s pays the households' own cards: its lines are the persons, it has no "
        "person roster."
    ),
    "batch-lines-cancelled": N_("The payouts of these lines were cancelled: %(lines)s."),
    "batch-results-conflict": N_(
        "A recorded bank result is final; these lines differ from it: %(lines)s."
    ),
    "result-file-missing": N_("Choose the bank's result file."),
    "result-file-encoding": N_("The result file is not UTF-8 text."),
    "result-file-header": N_("The result file needs its header row: %(columns)s."),
    "result-file-empty": N_("The result file holds no line."),
    "result-file-line": N_("Line %(line)s of the result file is not valid."),
    "result-line-invalid": N_(
        "The result line is not valid; check the reference, the result and the amount."
    ),
    "result-lines-mismatch": N_("The lines do not match the batch; check the file."),
    "result-line-duplicate": N_("The line %(reference)s is listed twice."),
    "result-line-unknown": N_("The batch has no line %(reference)s."),
    "result-amount-mismatch": N_(
        "The bank's amount %(amount_fen)s is not the line's %(line_amount_fen)s (%(reference)s)."
    ),
    "failed-line-reason-required": N_("A failed line needs the bank's reason."),
    "amount-invalid": N_("Enter an amount in yuan, such as 1200 or 1200.50."),
    "standard-missing": N_("No base standard is set for %(program)s in %(year)s."),
    "recovery-not-found": N_("No such recovery."),
    "recovery-changed-meanwhile": N_("The recovery changed meanwhile; reload the page."),
    "recovery-closed": N_("Nothing more is owed on this recovery."),
    "recovery-amount-exceeds-balance": N_("The amount exceeds the balance of %(balance)s."),
    "reference-blank": N_("Enter the reference."),
    # --- insurance (平安保障) -------------------------------------------------------------------
    "insurance-plan-not-found": N_("No such insurance plan."),
    "insurance-county-only": N_("Insurance batches are handled at county level."),
    "insurance-year-closed": N_("Insurance is bought for %(first)s or %(last)s, not %(year)s."),
    "insurance-batch-waiting": N_(
        "Batch %(batch_id)s of %(year)s awaits the county's approval; decide it first."
    ),
    "insurance-nothing-to-insure": N_(
        "Every enrolled household is insured for %(year)s or listed already."
    ),
    "insurance-batch-made-meanwhile": N_("Another batch was made meanwhile; reload the page."),
    "insurance-batch-not-found": N_("No such insurance batch."),
    "insurance-batch-decided": N_("This batch is %(status)s already."),
    "insurance-batch-own": N_("You made this batch; another county approver decides it."),
    "insurance-payee-missing": N_(
        "The insurer's account %(account)s is not configured; tell the administrator."
    ),
    "insurance-premium-exists": N_(
        "Case %(application_id)s owes the insurer for %(year)s already."
    ),
    "insurance-batch-not-approved": N_(
        "Policy numbers are recorded once the batch is approved; it is %(status)s."
    ),
    "insurance-policy-not-in-batch": N_(
        "Case %(application_id)s is not an approved household of this batch."
    ),
    "insurance-policy-recorded": N_("Case %(application_id)s has policy %(policy_no)s already."),
    "insurance-policy-number-taken": N_("A policy number belongs to another household."),
    "insurance-policy-repeated": N_(
        "Line %(line)s repeats a household or a policy number of an earlier line."
    ),
    # --- life events (a parent's death, a move away, a review's refusal) ---------------------
    "life-event-not-found": N_("No such life event."),
    "life-event-kind-unknown": N_("Choose a death or a move out of the county."),
    "life-event-person-required": N_("Say which parent died: the applicant or the spouse."),
    "life-event-no-spouse": N_("The case names no spouse."),
    "life-event-date-in-future": N_("The date of the event is in the future."),
    "life-event-reason-required": N_("Give the reason for rejecting the event."),
    "life-event-caseworker-only": N_("Only the village caseworker records a life event."),
    "life-event-county-approver-only": N_(
        "Only the county approver confirms or rejects a life event."
    ),
    "life-event-own-record": N_(
        "The event was recorded by you; another county approver confirms it."
    ),
    "life-event-case-not-enrolled": N_(
        "Only an enrolled household's events are recorded; this case is %(status)s."
    ),
    "life-event-already-dead": N_("This parent's death is confirmed already."),
    "life-event-pending-exists": N_("An event of this case already waits for the county."),
    "life-event-decided": N_("This event is decided already."),
    "life-event-payout-at-bank": N_(
        "A payout this event changes is at the bank; confirm once the bank's result is recorded."
    ),
    # --- notices, rosters, incidents, audit, idempotency --------------------------------------
    "notice-not-found": N_("No such public notice."),
    "notice-closed": N_("The notice period is over; objections are no longer received."),
    "objection-blank": N_("Say what is wrong."),
    "objection-too-long": N_("The objection is limited to %(limit)s characters."),
    "county-code-invalid": N_("A county is a 6-digit region code."),
    "township-code-invalid": N_("A township is a 9-digit code inside the county."),
    "township-not-found": N_("No such township in your jurisdiction."),
    "incident-not-found": N_("No such incident."),
    "incident-already-retried": N_("This incident was already retried."),
    "incident-kind-not-retriable": N_("Incidents of this kind are not retried."),
    "audit-filter-invalid": N_("The filter is not valid; check the dates and fields."),
    "page-not-found": NO_PAGE,
    "idempotency-key-reused": N_(
        "This request was already sent with other content; reload the page."
    ),
    "iso-date-expected": DATE,
    # --- pydantic's error types, as forms meet them (params: pydantic's context) -------------
    "missing": REQUIRED,
    "string_too_short": N_("At least %(min_length)s characters."),
    "string_too_long": N_("At most %(max_length)s characters."),
    "too_short": N_("At least %(min_length)s items."),
    "too_long": N_("At most %(max_length)s items."),
    "string_pattern_mismatch": N_("The value is not in the expected form."),
    "string_type": N_("Enter text."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "decimal_parsing": N_("Enter a number."),
    "decimal_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "greater_than": N_("Must be more than %(gt)s."),
    "greater_than_equal": N_("Must be at least %(ge)s."),
    "less_than": N_("Must be less than %(lt)s."),
    "less_than_equal": N_("Must be at most %(le)s."),
    "literal_error": CHOOSE,
    "enum": CHOOSE,
    "date_parsing": DATE,
    "date_type": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "datetime_parsing": DATE,
    "datetime_from_date_parsing": DATE,
    "value_error": N_("This value is not valid."),
    "assertion_error": N_("This value is not valid."),
    "json_invalid": N_("The data could not be read; reload the page and try again."),
    "json_type": N_("The data could not be read; reload the page and try again."),
    "bool_parsing": N_("Choose yes or no."),
    "bool_type": N_("Choose yes or no."),
    "extra_forbidden": N_("This field is not taken here."),
    "list_type": CHOOSE,
    "dict_type": N_("The data could not be read; reload the page and try again."),
    "model_type": N_("The data could not be read; reload the page and try again."),
}

# A pattern mismatch says what the field looks like, by the field's last name.
PATTERNS: dict[str, str] = {
    "phone": N_("A mobile number has 11 digits and starts with 1, such as 13800138000."),
    "village": N_("Choose a village of your jurisdiction."),
    "username": MESSAGES["username-invalid"],
    "period": N_("Enter the period as a year (2026) or a month (2026-05)."),
}

# How a param is shown: a term of the vocabulary, a name, a number of a unit.
LEVELS = {"county": N_("county"), "township": N_("township"), "village": N_("village")}
TYPES = {
    "integer": N_("a whole number"),
    "decimal": N_("a number"),
    "boolean": N_("yes or no"),
    "text": N_("text"),
    "reference": N_("a reference on one line"),
    "date": N_("a date, YYYY-MM-DD"),
    "card": N_("a bank card number of 16 to 19 digits"),
}
_TERMS = {
    "missing": "document",
    "event_kinds": "event",
    "event_kind": "event",
    "roles": "role",
    "role": "role",
    "status": "status",
    "decision": "decision",
    "field": "field",
    "accepted": "field",
}
# Params a few codes use in their own sense.
_CODE_TERMS = {
    "document-kind-unknown": {"kinds": "document"},
    "event-kind-unknown": {"kinds": "event"},
    "timer-transition-invalid": {"from": "status", "to": "status"},
    "flow-task-decisions-unrouted": {"decisions": "decision"},
    "flow-gateway-decisions-merged": {"decisions": "decision"},
    "flow-id-missing": {"kind": "element"},
    "flow-element-unsupported": {"kind": "element"},
    "flow-end-no-status": {"statuses": "status"},
    "flow-end-not-allowed": {"statuses": "status"},
    "flow-no-end": {"statuses": "status"},
}
REGION_PARAMS = frozenset(
    {"village", "region", "township", "merged_into", "into", "parent", "county", "jurisdiction"}
)
_LEVELS = frozenset({"level", "region_level", "into_level"})
_MONEY = frozenset({"balance", "amount_fen", "line_amount_fen", "total_fen", "max_fen"})
_BYTES = frozenset({"body-too-large", "file-too-large", "extra-fields-too-large"})
_LIST_MAX = 12  # a longer list is cut, with "…"
# A step named in the diagram as well as by its id: "Task_1 (Check the papers)"; nothing when
# it has no name of its own. A lane without a name is said to have none, not shown blank.
_LABELLED = frozenset(
    {"flow-element-unreachable", "flow-element-dead-end", "flow-step-outgoing-many"}
)
_NAMED = frozenset({"lane"})


def message_id(code: str, status: int | None = None, field: str | None = None) -> str:
    """The catalogue message of a code (untranslated), or the general one of its status."""
    if code == "string_pattern_mismatch" and field:
        pattern = PATTERNS.get(field.rsplit(".", 1)[-1].removeprefix("spouse_"))
        if pattern:
            return pattern
    if code in MESSAGES:
        return MESSAGES[code]
    return general(status)


def general(status: int | None) -> str:
    if status is None:
        return GENERAL[422]
    return GENERAL.get(status, GENERAL[500] if status >= 500 else GENERAL[400])


def say(
    code: str,
    params: Mapping[str, Any] | None,
    language: str,
    labels: Labels | None = None,
    *,
    status: int | None = None,
    field: str | None = None,
) -> str:
    """The refusal ``code`` with its ``params``, said in ``language``; never raises."""
    gettext = i18n.translations(language).gettext
    message = gettext(message_id(code, status, field))
    if "%(" not in message:
        return message
    try:
        shown = humanize(code, params or {}, language, labels)
        return message % shown
    except (KeyError, ValueError, TypeError):
        fallback = general(status if status is not None else _status_of(code))
        return gettext(fallback)


def say_error(error: ReliefError, language: str, labels: Labels | None = None) -> str:
    """What the console says of a domain refusal."""
    return say(error.code, error.params, language, labels, status=error.status)


def say_field(entry: Mapping[str, Any], language: str, labels: Labels | None = None) -> str:
    """One entry of a problem's ``errors`` ({field, code, params, message}) or one of
    pydantic's ``ValidationError.errors()`` ({loc, type, ctx, msg})."""
    if "type" in entry and "code" not in entry:
        code = str(entry.get("type", "value_error"))
        params = entry.get("ctx") or {}
        field = ".".join(str(part) for part in entry.get("loc", ()))
    else:
        code = str(entry.get("code") or "value_error")
        params = entry.get("params") or {}
        field = str(entry.get("field") or "")
    return say(code, params, language, labels, status=422, field=field)


def say_all(entries: list[Any], language: str, labels: Labels | None = None) -> list[str]:
    """Each field error said once, in order (two fields with the same reason: one line)."""
    said: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            text = say_field(entry, language, labels)
            if text not in said:
                said.append(text)
    return said


def _status_of(code: str) -> int | None:
    registered = codes.CODES.get(code)
    return registered.status if registered else None


def humanize(
    code: str, params: Mapping[str, Any], language: str, labels: Labels | None = None
) -> dict[str, Any]:
    """``params`` as a person reads them, by name (and, for a few codes, by the code)."""
    shown: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, list | tuple):
            items = [str(_one(code, name, item, language, labels)) for item in value[:_LIST_MAX]]
            if len(value) > _LIST_MAX:
                items.append("…")
            shown[name] = joined(items, language)
        elif value is None:
            shown[name] = "—"
        elif isinstance(value, str) and not value.strip() and name in _NAMED:
            shown[name] = i18n.translations(language).gettext(UNNAMED)
        else:
            shown[name] = _one(code, name, value, language, labels)
    if code in _LABELLED and "name" in shown:
        shown["name"] = _label(params, language)
    return shown


def _label(params: Mapping[str, Any], language: str) -> str:
    name = " ".join(str(params.get("name") or "").split())
    if not name or name == params.get("element"):
        return ""
    return f" ({name})" if language == "en" else f"（{name}）"


def _one(code: str, name: str, value: Any, language: str, labels: Labels | None) -> Any:
    if isinstance(value, str):
        return _text(code, name, value, language, labels)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and name in _MONEY:
        return i18n.money(value)
    if isinstance(value, int | float) and name == "retry_after":
        return duration(value, language)
    if isinstance(value, int) and name == "limit" and code in _BYTES:
        return size(value)
    return value


def _text(code: str, name: str, value: str, language: str, labels: Labels | None) -> str:
    gettext = i18n.translations(language).gettext
    kind = _CODE_TERMS.get(code, {}).get(name) or _TERMS.get(name)
    if kind is not None:
        return gettext(term(kind, value))
    if name == "program" and labels is not None:
        return labels.program(value)
    if name in REGION_PARAMS and labels is not None:
        return labels.region(value)
    if name in _LEVELS:
        return gettext(LEVELS.get(value, value))
    if name == "type":
        return gettext(TYPES.get(value, value))
    return value


def joined(items: list[str], language: str) -> str:
    """A list as the language writes one: 申请表、身份证 / application form, ID card."""
    return ("、" if language != "en" else ", ").join(items)


def duration(seconds: float, language: str) -> str:
    """A wait as people say it: 40 seconds, or whole minutes (rounded up) from one minute on."""
    translation = i18n.translations(language)
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return translation.ngettext("%(num)d second", "%(num)d seconds", seconds) % {"num": seconds}
    minutes = math.ceil(seconds / 60)
    return translation.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}


def size(limit: int) -> str:
    """A byte limit in MB (or KB below one MB)."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.3g} MB"
    return f"{max(1, limit // 1024)} KB"


def formatted(message: str, params: Mapping[str, Any] | None, language: str) -> str:
    """A catalogue message translated, then given its (already shown) params; the message
    alone when they do not fit. For the flash of a redirect."""
    text = i18n.translations(language).gettext(message)
    if not params or "%(" not in text:
        return text
    try:
        return text % dict(params)
    except (KeyError, ValueError, TypeError):
        return text.split("%(", 1)[0].rstrip(" :：") or text
