"""Error pages: what the problem handlers answer to a browser instead of problem JSON.

``service.http.problems.problem`` builds every error response of the service; for a console page
(any path outside the API, the docs and the probes) it hands over to ``PAGES`` here, which
``create_app`` gives it. A page that needs a login redirects to the login form and comes back
afterwards.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.dependencies import CALLER_SCOPE_KEY
from service.auth.models import User
from service.errors import ReliefError
from service.http import refusals
from service.http.headers import is_console_page
from service.web import labels, reasons, sessions
from service.web.i18n import N_
from service.web.templating import redirect, render

log = structlog.get_logger()


TITLES = {
    400: N_("The request could not be understood"),
    403: N_("You may not do this"),
    404: N_("Page not found"),
    405: N_("Page not found"),
    409: N_("This was changed meanwhile"),
    413: N_("The file is too large"),
    422: N_("Some input is not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("The service is unavailable"),
}


def is_page(request: Request) -> bool:
    return is_console_page(request.url.path)


class ConsolePages:
    """The console's side of ``service.http.problems.ErrorPage``."""

    def serves(self, request: Request) -> bool:
        return is_page(request)

    def render(
        self,
        request: Request,
        *,
        status: int,
        detail: str,
        headers: dict[str, str] | None,
        code: str,
        params: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> Response:
        return error_page(
            request, status=status, headers=headers, code=code, params=params, errors=errors
        )


PAGES = ConsolePages()


def error_page(
    request: Request,
    *,
    status: int,
    headers: dict[str, str] | None = None,
    code: str = "",
    params: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Response:
    """The refusal as a page (or, for htmx, a message in ``#flash``), in the session's
    language from ``code`` and ``params`` (the English detail stays the API's)."""
    if status == 401:
        target = request.url.path if request.method == "GET" else "/"
        return redirect(request, f"/login?next={quote(target, safe='/')}")
    user = request.scope.get(CALLER_SCOPE_KEY)
    if status == 403 and isinstance(user, User) and user.must_change_password:
        return redirect(request, "/password")  # web/deps.page_user refused every other page
    headers = {k: v for k, v in (headers or {}).items() if k.lower() != "www-authenticate"}
    if request.headers.get("HX-Request"):
        # HTMX swaps only 2xx answers by default: show the refusal where the action was.
        headers["HX-Retarget"] = "#flash"
        headers["HX-Reswap"] = "innerHTML"
        template = "_error_flash.html"
    else:
        template = "error.html"
    # 404 and 405 look alike: what a user may not see does not exist for them.
    title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    try:
        language = sessions.of(request).language
        detail = reasons.say(code, params, language, status=status)
        # A 422's field errors, each said once (the problem's own reason first).
        shown = [text for text in reasons.say_all(errors or [], language) if text != detail]
        return _render_error(request, template, status, title, detail, shown, user, headers)
    except Exception:  # an error page must never fail in turn: plain text then
        log.exception("error_page_failed")
        return PlainTextResponse(f"{status} {title}", status_code=status)


def _render_error(
    request: Request,
    template: str,
    status: int,
    title: str,
    detail: str,
    reasons_shown: list[str],
    user: object,
    headers: dict[str, str],
) -> Response:
    return render(
        request,
        template,
        {"status": status, "title": title, "detail": detail, "reasons": reasons_shown},
        user=user if isinstance(user, User) else None,
        status_code=status,
        headers=headers,
    )


async def shown_in_place(request: Request, session: AsyncSession, refused: ReliefError) -> None:
    """A refused command that its page shows in place (a message on the case page, errors
    beside a form) instead of an error page: its transaction is rolled back, and the refusal
    is recorded in the trail as the problem handler records it (403 and 409 of a logged-in
    user). Rolled back first: on SQLite the trail's own write transaction would otherwise
    wait on the process's one write connection, held by the refused command."""
    await audit_service.roll_back(session)
    await refusals.record(
        request,
        status=refused.status,
        type_=refused.type,
        code=refused.code,
        detail=refused.detail,
    )


async def back_with_refusal(
    request: Request,
    session: AsyncSession,
    refused: ReliefError,
    back: str,
    *,
    message: str | None = None,
) -> Response:
    """A refused command on the case page: back to the page with the reason shown, instead of
    an error page. A 404 stays a 404 (the case is not the user's to see). The refusal is
    recorded in the trail as the problem handler would (403/409 of a logged-in user).

    The reason is ``message`` (a catalogue message id) if the page has its own words, else
    the catalogue's words for the refusal's code and params, with programs and places named."""
    if refused.status == 404:
        await audit_service.roll_back(session)
        raise refused
    await shown_in_place(request, session, refused)
    web = sessions.of(request)
    if message is not None:
        web.tell(message, "error")
    else:
        names = await labels.load(session, web.language) if _names_places(refused) else None
        web.tell(reasons.say_error(refused, web.language, names), "error")
    return redirect(request, back)


def _names_places(refused: ReliefError) -> bool:
    """Whether the refusal's params hold a program or a region code (labels name them)."""
    return any(name == "program" or name in reasons.REGION_PARAMS for name in refused.params)
