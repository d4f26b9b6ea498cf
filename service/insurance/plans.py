"""The insurance plans of the catalogue (``insurance:`` in workflows/programs.yaml).

A plan is not a program: no household applies for it, so it has no case flow. It is read from
the catalogue file when used (parsed again only when the file changes); its eligibility table is
parsed at load, so a broken table refuses the plan rather than a batch half made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from threading import Lock
from typing import Any

import yaml

from service.engine import decision_cache, evaluate_decision
from service.errors import NotFound
from service.programs.service import CATALOGUE, WORKFLOWS_DIR

ELIGIBLE = "eligible"


@dataclass(frozen=True)
class Plan:
    code: str
    name_zh: str
    name_en: str
    for_program: str
    premium_fen: int
    sum_insured_fen: int
    payee_account: str
    deadline: str  # MM-DD
    eligibility_dmn: str
    documents: dict[str, list[str]]

    def due_on(self, year: int) -> date:
        month, day = (int(part) for part in self.deadline.split("-"))
        return date(year, month, day)

    def decide(self, facts: dict[str, Any]) -> tuple[bool, str]:
        """The eligibility table's verdict on one household: (eligible, reason)."""
        result = evaluate_decision(decision_cache.get(self.eligibility_dmn), facts)
        return result.get("eligibility") == ELIGIBLE, str(result.get("reason", ""))


_lock = Lock()
_cache: tuple[tuple[int, int], dict[str, Plan]] | None = None


def _plan(entry: dict[str, Any]) -> Plan:
    dmn = (WORKFLOWS_DIR / entry["eligibility"]).read_text(encoding="utf-8")
    decision_cache.get(dmn)  # refuse a plan whose table does not parse
    return Plan(
        code=str(entry["code"]),
        name_zh=str(entry["name_zh"]),
        name_en=str(entry["name_en"]),
        for_program=str(entry["for_program"]),
        premium_fen=int(entry["premium_fen"]),
        sum_insured_fen=int(entry["sum_insured_fen"]),
        payee_account=str(entry["payee_account"]),
        deadline=str(entry["deadline"]),
        eligibility_dmn=dmn,
        documents={str(k): list(v) for k, v in (entry.get("documents") or {}).items()},
    )


def plans() -> dict[str, Plan]:
    """Every plan of the catalogue, by code."""
    global _cache
    info = os.stat(CATALOGUE)
    stamp = (info.st_ino, info.st_mtime_ns)
    with _lock:
        if _cache is not None and _cache[0] == stamp:
            return _cache[1]
    entries = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")).get("insurance") or []
    loaded = {plan.code: plan for plan in map(_plan, entries)}
    with _lock:
        _cache = (stamp, loaded)
    return loaded


def get(code: str) -> Plan:
    plan = plans().get(code)
    if plan is None:
        raise NotFound(
            f"no insurance plan {code!r}", code="insurance-plan-not-found", params={"plan": code}
        )
    return plan
