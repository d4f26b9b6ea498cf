"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from service.applications.models import Application, Document, HouseholdClaim, Review
from service.audit.models import AuditAnchor, AuditEvent, AuditHead
from service.auth.models import LoginAttempt, User
from service.flows.models import FlowVersion
from service.idempotency import IdempotencyRecord
from service.incidents.models import Incident
from service.insurance.models import InsuranceBatch, InsurancePolicy
from service.life_events.models import LifeEvent, ReviewOutcome
from service.notices.models import Objection, PublicNotice
from service.notifications.models import Notification
from service.payouts.models import PayeeAccount, Payout, PayoutBatch, PayoutBatchLine, PayoutPerson
from service.programs.models import BenefitStandard, Program
from service.recoveries.models import Recovery, RecoveryPayment
from service.regions.models import Region
from service.tasks.models import Task

__all__ = [
    "Application",
    "AuditAnchor",
    "AuditEvent",
    "AuditHead",
    "BenefitStandard",
    "Document",
    "FlowVersion",
    "HouseholdClaim",
    "IdempotencyRecord",
    "Incident",
    "InsuranceBatch",
    "InsurancePolicy",
    "LifeEvent",
    "LoginAttempt",
    "Notification",
    "Objection",
    "PayeeAccount",
    "Payout",
    "PayoutBatch",
    "PayoutBatchLine",
    "PayoutPerson",
    "Program",
    "PublicNotice",
    "Recovery",
    "RecoveryPayment",
    "Review",
    "ReviewOutcome",
    "Region",
    "Task",
    "User",
]
