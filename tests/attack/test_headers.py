"""Browser-facing hardening: security headers on every response, and no CORS by default."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.security import API_CSP, HEADERS, SecurityHeaders
from tests.conftest import Api, Server

EVIL = "https://evil.example"


def test_no_cross_origin_read_is_allowed_by_default(api: Api) -> None:
    """No RELIEF_ setting enables CORS, so a page on another origin can read nothing, even
    with a stolen token in hand: no Access-Control-Allow-* header on any answer."""
    preflight = api.client.options(
        "/applications",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    read = api.client.get("/applications", headers={**api.headers("au.county"), "Origin": EVIL})
    login = api.client.post(
        "/auth/token",
        data={"username": "cw.lizhuang", "password": "relief-demo"},
        headers={"Origin": EVIL},
    )
    assert read.status_code == 200
    assert login.status_code == 200
    assert preflight.status_code != 200  # no CORS middleware answers the preflight
    for response in (preflight, read, login):
        granted = [h for h in response.headers if h.lower().startswith("access-control-")]
        assert granted == [], (response.request.url, granted)
        assert "origin" not in response.headers.get("vary", "").lower()


async def _hello(request: object) -> JSONResponse:
    return JSONResponse({"ok": True}, headers={"Cache-Control": "max-age=60"})


@pytest.mark.parametrize(
    ("path", "csp", "cache"),
    [
        ("/api/v1/x", API_CSP, "max-age=60"),
        ("/docs", None, "max-age=60"),
        ("/healthz", API_CSP, "max-age=60"),
    ],
)
async def test_the_middleware_adds_the_headers_without_overriding_a_route(
    path: str, csp: str | None, cache: str
) -> None:
    app = Starlette(routes=[Route(path, _hello)])
    app.add_middleware(SecurityHeaders)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    assert response.headers.get("Content-Security-Policy") == csp
    assert response.headers["Cache-Control"] == cache  # a route's own choice stands


def test_every_answer_carries_the_security_headers(api: Api, server: Server) -> None:
    answers = [
        api.get("/applications", as_="au.county"),  # personal data
        api.client.get("/applications"),  # 401 problem
        api.get("/applications/2147483000", as_="au.county"),  # 404 problem
        httpx.get(f"{server.url}/healthz"),
    ]
    for response in answers:
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, name)
        assert response.headers.get("Content-Security-Policy") == API_CSP
    for response in answers[:3]:
        assert response.headers.get("Cache-Control") == "no-store"
