"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from service.applications.models import Application, Document, HouseholdClaim
from service.audit.models import AuditEvent, AuditHead
from service.auth.models import User
from service.flows.models import FlowVersion
from service.payouts.models import Payout
from service.programs.models import Program
from service.regions.models import Region
from service.tasks.models import Task

__all__ = [
    "Application",
    "AuditEvent",
    "AuditHead",
    "Document",
    "FlowVersion",
    "HouseholdClaim",
    "Payout",
    "Program",
    "Region",
    "Task",
    "User",
]
