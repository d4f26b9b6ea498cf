"""The API's interactive docs (issue 18 part 5): /docs and /redoc come from the vendored,
pinned Swagger UI and ReDoc under a content security policy, never from a CDN; with
RELIEF_API_DOCS=false (the default in production) they are 404 and /openapi.json stays."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from service.config import Settings
from service.http.headers import API_CSP
from tests.conftest import Server
from tests.flows.helpers import own_server

VENDOR = Path(__file__).resolve().parents[2] / "service" / "web" / "static" / "vendor"
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
PAGES = {
    "/docs": ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css"),
    "/redoc": ("/static/vendor/redoc.standalone.js",),
}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PAGES)
def test_the_docs_load_only_vendored_files_under_a_policy(server: Server, path: str) -> None:
    response = httpx.get(server.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    references = REFERENCE.findall(response.text)
    assert set(PAGES[path]) <= set(references)
    for reference in references:
        assert reference.startswith("/"), reference  # this site's own path
        assert not reference.startswith("//"), reference
    assert "cdn." not in response.text
    assert "fonts.googleapis" not in response.text

    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    scripts = policy["script-src"]
    assert scripts[0] == "'self'"
    # Anything else is the hash of an inline script of the page, never 'unsafe-inline'.
    assert all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", source) for source in scripts[1:])
    assert len(scripts) - 1 == response.text.count("<script>")
    for directive in ("img-src", "connect-src", "style-src", "font-src"):
        assert all(v in ("'self'", "data:", "'unsafe-inline'") for v in policy[directive])
    assert policy["frame-ancestors"] == ["'none'"]

    manifest = {
        entry["file"]: entry for entry in json.loads((VENDOR / "MANIFEST.json").read_text())
    }
    for reference in PAGES[path]:
        served = httpx.get(server.url + reference)
        assert served.status_code == 200, reference
        name = reference.rsplit("/", 1)[1]
        assert served.content == (VENDOR / name).read_bytes()
        assert name in manifest


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_docs_can_be_turned_off_and_the_schema_stays(tmp_path: Path, kind: str) -> None:
    with own_server(kind, tmp_path, RELIEF_API_DOCS="false") as served:
        assert served.api is not None
        url = served.api.server.url
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            response = httpx.get(url + path)
            assert response.status_code == 404, path
            assert response.headers["content-security-policy"] == API_CSP
        schema = httpx.get(url + "/openapi.json")
        assert schema.status_code == 200
        assert "/api/v1/applications" in schema.json()["paths"]


def test_the_docs_are_off_in_production_unless_asked_for() -> None:
    production = {
        "env": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql://u@h/db",
    }
    assert Settings(**production).api_docs_enabled is False
    assert Settings(**production, api_docs=True).api_docs_enabled is True
    assert Settings(env="development").api_docs_enabled is True
    assert Settings(env="development", api_docs=False).api_docs_enabled is False
