from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.db import get_database
from service.logging import request_id_var

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """Liveness and database readiness."""
    try:
        async with get_database().read_sessions() as session:
            await (await session.connection()).execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return JSONResponse(
            {
                "type": "urn:relief:problem:service-unavailable",
                "title": "Service unavailable",
                "status": 503,
                "detail": "database unreachable",
                "code": "service-unavailable",
                "params": {},
                "instance": request.url.path,
                "request_id": request_id_var.get() or request.scope.get("relief.request_id"),
            },
            status_code=503,
            media_type="application/problem+json",
        )
    return JSONResponse({"status": "ok", "database": "ok"})
