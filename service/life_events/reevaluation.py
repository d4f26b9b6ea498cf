"""The eligibility table read again at each annual review 年审, with that year's facts.

A review that ends with the household continuing re-evaluates the program's eligibility table
(the special-assistance one reads the mother's age, rule "mother under 49": national policy
国家计划生育特别扶助制度, not seed text) with the facts of the review's year: the mother's age is
the age she reaches in that year (on 31 December: the national rule counts the year she turns
49), the child's status is the case's event. The outcome is kept on the review
(``review_outcome``). A refusal does not end anything by itself: it becomes a life event of
kind ``no_longer_eligible`` from the review's year, waiting for the same county confirmation as
a death or a move (any county approver decides it: the table, not a person, recorded it).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import eligibility
from service.applications.models import ENROLLED, Application, Review
from service.audit import service as audit_service
from service.auth.models import User
from service.clock import utcnow
from service.life_events.models import NO_LONGER_ELIGIBLE, PENDING, LifeEvent, ReviewOutcome
from service.programs.models import Program

# The facts the outcome is kept with (the table may read more; these explain it).
SHOWN_FACTS = ("relation", "event_kind", "mother_age", "certificate_holder")


async def reevaluate_at_review(
    session: AsyncSession, *, case: Application, review: Review, actor: User | None
) -> ReviewOutcome | None:
    """Record the table's outcome for the review's year; flag a refusal for the county.
    Part of the review step's transaction (no commit here)."""
    program = await session.get(Program, case.program_code)
    if program is None or not program.eligibility_dmn or review.id is None:
        return None
    year_end = date(review.year, 12, 31)
    outcome = eligibility.decide(program, case, today=year_end)
    facts = eligibility.facts(case, today=year_end)
    kept = ReviewOutcome(
        review_id=review.id,
        application_id=review.application_id,
        year=review.year,
        eligibility=outcome.eligibility,
        reason=outcome.reason[:2000],
        facts={name: facts.get(name) for name in SHOWN_FACTS},
        evaluated_at=utcnow(),
    )
    session.add(kept)
    flagged = None
    if outcome.eligibility == eligibility.INELIGIBLE and case.status == ENROLLED:
        flagged = await _flag(session, case=case, review=review, reason=outcome.reason)
    audit_service.record(
        session,
        action="review_eligibility_evaluated",
        actor=actor,
        actor_name=None if actor else "relief-cli",
        region=case.village_code,
        application_id=case.id,
        after={
            "review_id": review.id,
            "year": review.year,
            "eligibility": outcome.eligibility,
            "reason": outcome.reason,
            **kept.facts,
            "life_event_id": flagged,
        },
    )
    return kept


async def _flag(
    session: AsyncSession, *, case: Application, review: Review, reason: str
) -> int | None:
    """A pending ``no_longer_eligible`` event; none when another event already waits for the
    county (the outcome kept on the review still says it)."""
    assert case.id is not None
    event = LifeEvent(
        application_id=case.id,
        kind=NO_LONGER_ELIGIBLE,
        event_date=date(review.year, 1, 1),
        from_year=review.year,
        note=reason[:2000],
        review_id=review.id,
        status=PENDING,
        recorded_by=None,
        recorded_at=utcnow(),
    )
    waiting = await session.exec(
        select(LifeEvent.id).where(LifeEvent.application_id == case.id, LifeEvent.status == PENDING)
    )
    if waiting.first() is not None:
        return None
    session.add(event)
    await session.flush()
    return event.id
