"""The final statuses a flow's ends give a case, and where money starts to flow."""

from __future__ import annotations

from service.applications.models import ENDED, ENROLLED, PAID, REJECTED, REVOKED
from service.auth.models import FINANCE_OFFICER
from service.engine import ParsedFlow

# A flow ends at an end event with a final status (engine/conventions.py: end_<status>, a
# ``status`` property or the status as its name). Withdrawal is a command, not an end of a
# flow; revocation is both: the county's command, and the end of a flow whose objection 举报
# was upheld.
END_STATUSES = (PAID, ENROLLED, REJECTED, REVOKED, ENDED)
# Where money starts to flow: the finance officer's steps and the ends that pay or enrol.
PAYOUT_STATUSES = frozenset({PAID, ENROLLED})


def statuses(flow: ParsedFlow) -> set[str]:
    """The final statuses the process's ends give a case."""
    return {status for _end, status in flow.end_statuses if status is not None}


def payout_ends(flow: ParsedFlow) -> set[str]:
    """Where money starts to flow: the ends that pay or enrol."""
    return {end for end, status in flow.end_statuses if status in PAYOUT_STATUSES}


def payouts(flow: ParsedFlow, *, review_flow: bool = False) -> set[str]:
    """The finance officer's steps and the ends that pay or enrol (in a yearly review, an
    enrolled end keeps the enrolment the county approved: only paying ends count)."""
    finance = {t.id for t in flow.user_tasks if t.lane == FINANCE_OFFICER}
    if review_flow:
        return finance | {end for end, status in flow.end_statuses if status == PAID}
    return finance | payout_ends(flow)
