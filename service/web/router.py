"""The console's routes, mounted at the site root beside ``/api/v1`` (see ``service.main``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.staticfiles import StaticFiles

from service.web import inbox, login, sessions

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages are not part of the API's OpenAPI document. Every POST of every page needs the
# session's CSRF token: the check sits here, not on each route, so no form can forget it.
router = APIRouter(include_in_schema=False, dependencies=[Depends(sessions.check_csrf)])
for module in (login, inbox):
    router.include_router(module.router)

static_files = StaticFiles(directory=STATIC_DIR)
