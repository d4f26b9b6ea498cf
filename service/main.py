"""The FastAPI application: routers, problem handlers, request ids, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from service.applications.router import router as applications_router
from service.audit.router import router as audit_router
from service.auth.router import router as auth_router
from service.config import get_settings
from service.db import get_database
from service.deadlines import service as deadlines_service
from service.deadlines.router import router as deadlines_router
from service.flows.router import router as flows_router
from service.http import docs, metrics, problems
from service.http.headers import SecurityHeaders
from service.http.health import router as health_router
from service.http.limits import BodySizeLimit
from service.http.observe import RequestContext
from service.incidents.router import router as incidents_router
from service.insurance.router import router as insurance_router
from service.life_events.router import router as life_events_router
from service.logging import configure_logging
from service.notices import service as notices_service
from service.notices.router import public_router as public_notices_router
from service.notices.router import router as notices_router
from service.notifications.router import router as notifications_router
from service.payouts.router import router as payouts_router
from service.people.router import router as people_router
from service.places.router import router as places_router
from service.programs.router import router as programs_router
from service.recoveries.router import router as recoveries_router
from service.reviews.router import router as reviews_router
from service.rosters.router import router as rosters_router
from service.tasks.router import router as tasks_router
from service.web import errors as web_errors
from service.web.router import router as web_router
from service.web.router import static_files
from service.worker import loop


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()  # refuse to start on unsafe production settings first
    stop, worker = asyncio.Event(), None
    if settings.worker_in_process:
        # `make run`: one process serves and runs the timers and jobs.
        worker = asyncio.create_task(loop.run_until(stop))
    yield
    stop.set()
    if worker is not None:
        await worker
    await get_database().dispose()


def create_app() -> FastAPI:
    configure_logging(get_settings().log_level)
    deadlines_service.install()  # flows count deadlines in the county's working days
    notices_service.install()  # flows end their public notice after the configured days
    app = FastAPI(
        title="relief",
        summary="Approval chains of county family-planning benefit and relief programs",
        version="0.1.0",
        lifespan=lifespan,
        # /docs and /redoc come from http/docs.py (vendored files, a CSP), when enabled.
        docs_url=None,
        redoc_url=None,
    )
    api = APIRouter(prefix="/api/v1")
    for router in (
        auth_router,
        programs_router,
        flows_router,
        applications_router,
        tasks_router,
        payouts_router,
        insurance_router,
        reviews_router,
        life_events_router,
        rosters_router,
        recoveries_router,
        audit_router,
        incidents_router,
        deadlines_router,
        notifications_router,
        people_router,
        places_router,
        notices_router,
        public_notices_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(health_router)
    app.include_router(metrics.router)
    if get_settings().api_docs_enabled:
        docs.install(app)
    # The web console: pages at the root, their scripts and styles under /static.
    app.include_router(web_router)
    app.mount("/static", static_files, name="static")
    problems.install(app, error_page=web_errors.PAGES)
    # Added first, so it runs inside the request-id middleware below.
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)

    cors_origins = get_settings().cors_origins
    if cors_origins:
        # Added last, so outermost: a browser's preflight is answered (or refused) before any
        # other layer or the auth dependency sees it. Exact origins only (config.py refuses
        # "*"), and no cookies: the API authenticates with bearer tokens.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Retry-After", "Idempotent-Replayed"],
            allow_credentials=False,
        )

    return app


app = create_app()
