"""The API's interactive docs: /docs (Swagger UI) and /redoc (ReDoc), from vendored files.

FastAPI's own pages load their scripts from a CDN, with no version pin and no integrity check,
on the console's origin. These are FastAPI's same pages pointed at the files of
``service/web/static/vendor`` (pinned by ``tools/vendor.sh``, hashes in its MANIFEST.json) and
served under a content security policy that lets nothing else in: scripts from this site and
the one inline script that starts Swagger UI, by its hash. ``RELIEF_API_DOCS=false`` (the
default in production) leaves both pages out, so they answer 404; ``/openapi.json`` stays,
because clients generate their code from it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = "/static/vendor"
FAVICON = "/static/favicon.svg"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The policy of a docs page: its inline scripts by hash, everything else from this site.
    Styles may be inline (both libraries set them from script; a style cannot run code), and
    ReDoc's search runs in a worker it makes from a blob of its own script."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def _html(response: HTMLResponse) -> str:
    return bytes(response.body).decode("utf-8")


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc for ``app`` (made with ``docs_url=None, redoc_url=None``)."""
    assert app.openapi_url is not None
    title = f"{app.title} API"
    swagger = _html(
        get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=title,
            swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
            # No badge image from validator.swagger.io: nothing leaves this site.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc = _html(
        get_redoc_html(
            openapi_url=app.openapi_url,
            title=title,
            redoc_js_url=f"{VENDOR}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
    )

    policies = {swagger: docs_csp(swagger), redoc: docs_csp(redoc)}

    # A response per request: middleware adds headers to the one it is given.
    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers={"Content-Security-Policy": policies[swagger]})

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc, headers={"Content-Security-Policy": policies[redoc]})
