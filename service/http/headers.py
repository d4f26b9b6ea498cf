"""Security headers on every response, as an ASGI middleware (no response body is touched).

An API that answers personal data keeps browsers from sniffing, framing, caching or leaking
it through a referrer. The interactive docs (/docs, /redoc) set their own policy (http/docs.py:
the vendored Swagger UI or ReDoc and Swagger UI's inline start, by hash); anything else under
their paths gets the API's.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The console's pages: their own scripts and styles only (vendored under /static), no inline
# script or style, forms posted only to this site. bpmn-js draws with SVG and data: images.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json")


def is_console_page(path: str) -> bool:
    """A page of the web console: anything but the API, its docs and the probes."""
    return not path.startswith((*API_PATHS, *DOCS_PATHS))


def headers_for(path: str) -> dict[str, str]:
    """The security headers of a response to ``path``."""
    headers = dict(HEADERS)
    if path.startswith((*API_PATHS, *DOCS_PATHS)):
        headers["Content-Security-Policy"] = API_CSP
    elif is_console_page(path):
        headers["Content-Security-Policy"] = PAGE_CSP
        # Console pages: under no-referrer Chromium sends "Origin: null" with the site's own
        # form posts, which the CSRF check must refuse; same-origin still tells no other site
        # where the user came from.
        headers["Referrer-Policy"] = "same-origin"
    if not path.startswith(("/static/", *DOCS_PATHS)):
        # Cases, trails and bank files hold personal data: no copy in any cache.
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
