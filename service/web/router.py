"""The console's routes, mounted at the site root beside ``/api/v1`` (see ``service.main``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.staticfiles import StaticFiles

from service.web import (
    audit,
    case_list,
    cases,
    flow_diff,
    flow_editor,
    flows,
    inbox,
    insurance,
    life_events,
    login,
    notices,
    payouts,
    people,
    program_amounts,
    regions,
    review,
    sessions,
    submit,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages are not part of the API's OpenAPI document. Every POST of every page needs the
# session's CSRF token: the check sits here, not on each route, so no form can forget it.
router = APIRouter(include_in_schema=False, dependencies=[Depends(sessions.check_csrf)])
# submit before cases: /applications/new is not a case id.
for module in (
    login,
    inbox,
    submit,
    case_list,
    cases,
    review,
    payouts,
    insurance,
    audit,
    flow_diff,
    flow_editor,
    flows,
    notices,
    people,
    regions,
    program_amounts,
    life_events,
):
    router.include_router(module.router)

static_files = StaticFiles(directory=STATIC_DIR)
