"""Browser-facing hardening: security headers on every response, and no CORS unless configured:
then exactly the configured origins, never a wildcard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.config import Settings
from service.http.headers import API_CSP, HEADERS, SecurityHeaders
from tests.conftest import Api, Server
from tests.flows.helpers import own_server

EVIL = "https://evil.example"
CONSOLE = "https://console.example.gov.cn"


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
        ("/docs", API_CSP, "max-age=60"),  # the docs' own routes set theirs (http/docs.py)
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


# --- CORS when configured ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cors_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A server of its own (SQLite: CORS is no database matter) that allows one origin."""
    tmp = tmp_path_factory.mktemp("cors")
    with own_server("sqlite", tmp, RELIEF_CORS_ORIGINS=json.dumps([CONSOLE])) as server:
        assert server.api is not None
        yield server.api


def _preflight(api: Api, origin: str, method: str = "POST") -> httpx.Response:
    return api.client.options(
        "/applications",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )


def test_a_configured_origin_gets_its_preflight_answered(cors_api: Api) -> None:
    response = _preflight(cors_api, CONSOLE)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == CONSOLE
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert "access-control-allow-credentials" not in response.headers  # bearer tokens only


def test_another_origin_gets_no_grant(cors_api: Api) -> None:
    for origin in (EVIL, CONSOLE + ".evil.example", "null", "http://console.example.gov.cn"):
        response = _preflight(cors_api, origin)
        assert response.status_code != 200, origin
        assert "access-control-allow-origin" not in response.headers, origin
        read = cors_api.client.get(
            "/applications", headers={**cors_api.headers("au.county"), "Origin": origin}
        )
        assert "access-control-allow-origin" not in read.headers, origin


def test_a_configured_origin_may_read_answers_and_their_retry_headers(cors_api: Api) -> None:
    read = cors_api.client.get(
        "/applications", headers={**cors_api.headers("au.county"), "Origin": CONSOLE}
    )
    assert read.status_code == 200, read.text
    assert read.headers["access-control-allow-origin"] == CONSOLE
    exposed = {h.strip().lower() for h in read.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"retry-after", "idempotent-replayed"}
    # A method the API does not allow cross-origin is refused at the preflight.
    assert _preflight(cors_api, CONSOLE, method="PROPFIND").status_code != 200


@pytest.mark.parametrize(
    "origins",
    [["*"], [CONSOLE, "*"], ["https://*.example.gov.cn"]],
    ids=["wildcard", "wildcard-among-others", "wildcard-subdomain"],
)
def test_a_wildcard_origin_is_refused_at_start(origins: list[str]) -> None:
    with pytest.raises(ValidationError, match="refuses wildcards"):
        Settings(cors_origins=origins)


@pytest.mark.parametrize(
    "origin", [CONSOLE + "/", CONSOLE + "/app", "console.example.gov.cn", "null", "ftp://x.cn"]
)
def test_what_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=[origin])


def test_origins_are_read_as_browsers_send_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the work tree
    monkeypatch.setenv("RELIEF_CORS_ORIGINS", '["https://Console.Example.gov.cn:8443"]')
    assert Settings().cors_origins == ["https://console.example.gov.cn:8443"]
    monkeypatch.delenv("RELIEF_CORS_ORIGINS")
    assert Settings().cors_origins == []
