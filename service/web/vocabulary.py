"""The words of the domain as the console shows them: stored codes → catalogue messages.

Codes (``in_progress``, ``county_approver``, ``death_certificate``) stay codes in the database
and the API; pages show these labels, translated (``term`` in the templates). A code without a
label is shown as it is, so a new status never breaks a page.
"""

from __future__ import annotations

import re

from service.web.i18n import N_

TERMS: dict[str, dict[str, str]] = {
    "status": {
        "in_progress": N_("In progress"),
        "returned": N_("Returned for correction"),
        "approved": N_("Approved"),
        "paid": N_("Paid"),
        "enrolled": N_("Enrolled"),
        "rejected": N_("Rejected"),
        "withdrawn": N_("Withdrawn"),
        "revoked": N_("Revoked"),
        "notice": N_("On public notice"),
        "ended": N_("Ended"),
        "ready": N_("Ready"),
        "completed": N_("Completed"),
        "cancelled": N_("Cancelled"),
        "pending": N_("Pending"),
        "confirmed": N_("Confirmed"),
        "batched": N_("In a bank batch"),
        "held": N_("Held"),
        "failed": N_("Failed"),
        "open": N_("Open"),
        "settled": N_("Settled"),
        "closed": N_("Closed"),
    },
    # Who a payout's money goes to (service.payouts.models.PAYEES).
    "payee": {
        "household": N_("Household card"),
        "pension_fund": N_("Pension insurance fund"),
        "insurer": N_("Insurance company"),
        "reward": N_("Report reward"),
    },
    # Fields a task declares in its flow (field.<name>); a field an uploaded flow adds and this
    # list lacks is shown by its name.
    "field": {
        "eligible_parents": N_("Parents receiving the benefit"),
        "bank_card": N_("Bank card paid into"),
        "bank_reference": N_("Bank transfer reference"),
    },
    "role": {
        "caseworker": N_("Village caseworker"),
        "village_head": N_("Village committee chair"),
        "township_reviewer": N_("Township reviewer"),
        "county_approver": N_("County approver"),
        "finance_officer": N_("Finance officer"),
        "auditor": N_("Auditor"),
        "admin": N_("Administrator"),
    },
    # The outcome of a program's eligibility table (service.applications.eligibility), and the
    # reasons the service itself gives; a table's own reason is shown as the table words it.
    "eligibility": {
        "eligible": N_("Eligible"),
        "review": N_("To be confirmed by the village"),
        "ineligible": N_("Not eligible"),
    },
    "eligibility_reason": {
        "the program has no eligibility table": N_("The program has no eligibility table."),
        "no rule of the eligibility table matched: a person decides": N_(
            "No rule of the eligibility table matched: a person decides."
        ),
    },
    "decision": {
        "approve": N_("Approve"),
        "reject": N_("Reject"),
        "return": N_("Return for correction"),
    },
    "document": {
        "application_form": N_("Application form"),
        "id_card": N_("Resident ID card"),
        "spouse_id_card": N_("Spouse's ID card"),
        "hukou": N_("Household register"),
        "only_child_certificate": N_("Only-child parents' certificate"),
        "death_certificate": N_("Death certificate"),
        "disability_certificate": N_("Disability certificate"),
        "bank_card": N_("Bank card"),
        "medical_records": N_("Medical records"),
        "accident_death_proof": N_("Proof of accidental death"),
        "household_income": N_("Household income statement"),
        "villager_meeting_minutes": N_("Villagers' meeting minutes"),
        "revocation_evidence": N_("Revocation evidence"),
        "assisted_reproduction_certificate": N_("Hospital certificate of assisted reproduction"),
        "sterilisation_certificate": N_("Sterilisation certificate"),
        "second_child_waiver_record": N_("Proof of giving up the second-child quota"),
        "life_event_evidence": N_("Evidence of a life event"),
    },
    "event": {
        "child_death": N_("Death of the only child"),
        "child_disability": N_("Disability of the only child"),
        "accidental_death": N_("Accidental death"),
        "accident_injury": N_("Accidental injury"),
        "disability": N_("Disability"),
        "serious_illness": N_("Serious illness"),
        "disaster": N_("Disaster"),
        "sterilisation": N_("Sterilisation (tubal or vasectomy)"),
        "only_child_reward_year": N_("Year of the only-child parents' reward"),
        "second_child_waiver": N_("Second-child quota given up"),
    },
    "relation": {
        "mother": N_("Mother"),
        "father": N_("Father"),
        "parent": N_("Parent"),
        "guardian": N_("Guardian"),
        "other": N_("Other"),
    },
    "action": {
        "application_submitted": N_("Application submitted"),
        "application_corrected": N_("Application corrected"),
        "application_withdrawn": N_("Application withdrawn"),
        "application_revoked": N_("Application revoked"),
        "document_added": N_("Document added"),
        "task_completed": N_("Task completed"),
        "task_claimed": N_("Task claimed"),
        "task_unclaimed": N_("Task released"),
        "task_reassigned": N_("Task reassigned"),
        "task_released": N_("Task released to the role's inbox"),
        "task_escalated": N_("Task escalated"),
        "tasks_bulk_completed": N_("Batch review"),
        "status_changed": N_("Status changed"),
        "payout_pending": N_("Payout pending"),
        "payout_batched": N_("Payout put in a bank batch"),
        "payout_batch_created": N_("Bank batch created"),
        "payout_batch_settled": N_("Bank batch settled"),
        "payout_bank_file_downloaded": N_("Bank file downloaded"),
        "recovery_opened": N_("Recovery opened"),
        "objection_received": N_("Objection received"),
        "action_refused": N_("Action refused"),
        "login_failed": N_("Failed login"),
        "login_locked": N_("Login locked"),
        "login_address_locked": N_("Logins from an address locked"),
        "login_slowed": N_("Logins slowed down"),
        "personal_data_revealed": N_("Personal numbers revealed"),
        "audit_exported": N_("Audit trail exported"),
        "flow_uploaded": N_("Flow uploaded"),
        "flow_activated": N_("Flow activated"),
        "flow_version_deleted": N_("Flow version deleted"),
        "program_amount_set": N_("Program amount set"),
        "payout_paid": N_("Payout paid"),
        "payout_cancelled": N_("Payout cancelled"),
        "recovery_payment_recorded": N_("Repayment recorded"),
        "recovery_closed": N_("Recovery closed"),
        "review_started": N_("Yearly review started"),
        "payment_terms_changed": N_("What is paid changed (county approval)"),
        "task_assigned": N_("Task assigned"),
        "incident_retried": N_("Incident retried"),
        "notification_failed": N_("Message not delivered"),
        "user_created": N_("User created"),
        "password_set": N_("Password set"),
        "password_changed": N_("Password changed"),
        "password_change_failed": N_("Failed password change"),
        "user_deactivated": N_("User deactivated"),
        "user_reactivated": N_("User reactivated"),
        "user_roles_changed": N_("User's roles changed"),
        "user_moved": N_("User moved to another region"),
        "password_reset": N_("Password reset by an administrator"),
        "payout_line_paid": N_("Bank reported the payment"),
        "payout_line_failed": N_("Bank reported a failed payment"),
        "region_added": N_("Place added"),
        "region_renamed": N_("Place renamed"),
        "region_merged": N_("Places merged"),
        "life_event_recorded": N_("Life event recorded"),
        "life_event_confirmed": N_("Life event confirmed by the county"),
        "life_event_rejected": N_("Life event rejected by the county"),
        "enrolment_ended": N_("Enrolment ended"),
        "review_ended": N_("Yearly review ended"),
        "payout_amended": N_("Payout cut to the remaining share"),
        "recovery_increased": N_("Recovery increased"),
        "review_eligibility_evaluated": N_("Eligibility re-evaluated at the yearly review"),
    },
}

# Events in a recipient's life (service/life_events): kinds, and which parent died.
TERMS["life_event"] = {
    "death": N_("Death of a parent"),
    "moved_away": N_("Moved out of the county"),
    "no_longer_eligible": N_("No longer eligible (yearly review)"),
    "applicant": N_("The applicant"),
    "spouse": N_("The spouse"),
    # An event's own status (not a payout's "pending").
    "pending": N_("Waiting for the county"),
    "confirmed": N_("Confirmed by the county"),
    "rejected": N_("Rejected by the county"),
}


# BPMN elements by what a person calls them (the diff of two versions, flow refusals).
TERMS["element"] = {
    "process": N_("Process"),
    "lane": N_("Lane"),
    "sequenceFlow": N_("Sequence flow"),
    "task": N_("Task"),
    "userTask": N_("User task"),
    "manualTask": N_("Manual task"),
    "scriptTask": N_("Script task"),
    "businessRuleTask": N_("Business rule task"),
    "serviceTask": N_("Service task"),
    "sendTask": N_("Send task"),
    "receiveTask": N_("Receive task"),
    "callActivity": N_("Call activity"),
    "subProcess": N_("Subprocess"),
    "transaction": N_("Transaction subprocess"),
    "adHocSubProcess": N_("Ad-hoc subprocess"),
    "startEvent": N_("Start event"),
    "endEvent": N_("End event"),
    "intermediateCatchEvent": N_("Intermediate event"),
    "intermediateThrowEvent": N_("Intermediate event"),
    "boundaryEvent": N_("Boundary event"),
    "exclusiveGateway": N_("Exclusive gateway"),
    "parallelGateway": N_("Parallel gateway"),
    "inclusiveGateway": N_("Inclusive gateway"),
    "eventBasedGateway": N_("Event-based gateway"),
    "complexGateway": N_("Complex gateway"),
    "messageEventDefinition": N_("Message event"),
    "conditionalEventDefinition": N_("Conditional event"),
    "escalationEventDefinition": N_("Escalation event"),
    "errorEventDefinition": N_("Error event"),
    "compensateEventDefinition": N_("Compensation event"),
    "linkEventDefinition": N_("Link event"),
    "cancelEventDefinition": N_("Cancel event"),
    "multiInstanceLoopCharacteristics": N_("Multi-instance loop"),
    "standardLoopCharacteristics": N_("Loop"),
    "dataStoreReference": N_("Data store"),
}


def term(kind: str, code: str | None) -> str:
    """The message id for a code (translate it with ``_``), or the code itself."""
    if code is None:
        return ""
    return TERMS.get(kind, {}).get(code, code)


# A text a county wrote in both languages, "中文 (English)", as the shipped tables do.
_BILINGUAL = re.compile(
    r"(?P<zh>.*[\u4e00-\u9fff].*?)\s*[(（](?P<en>[^()（）]+)[)）]\s*", re.DOTALL
)


def in_language(text: str | None, language: str) -> str:
    """A county's own text in the page's language: the part of a "中文 (English)" text for
    the language, any other text as it was written."""
    if not text:
        return ""
    both = _BILINGUAL.fullmatch(text)
    if both is None:
        return text
    return both.group("en" if language == "en" else "zh").strip()
