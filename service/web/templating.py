"""Rendering: one Jinja2 environment, and the context every page gets.

Templates receive ``_`` (gettext in the session's language), the formatters ``money``,
``date`` and ``datetime``, the caller (or None), the CSRF token and the navigation the
caller's roles allow. Macros that translate must be imported ``with context``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, Undefined, select_autoescape

from service.auth.models import (
    ADMIN,
    AUDITOR,
    CASEWORKER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    LANE_ROLES,
    TOWNSHIP_REVIEWER,
    User,
)
from service.config import get_settings
from service.web import i18n, reasons, sessions
from service.web.deps import page_roles
from service.web.i18n import N_
from service.web.vocabulary import term

environment = Environment(
    loader=PackageLoader("service.web", "templates"),
    autoescape=select_autoescape(["html"]),
    # Development and tests: a misspelt or missing variable fails loudly. Production: it shows
    # as an empty cell rather than turning an office's page into a 500.
    undefined=Undefined if get_settings().env == "production" else StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# (path, message id, roles that see the link; empty: every user); N_ puts each label in the
# catalogue (a label no template names, such as Audit, would otherwise stay English)
NAVIGATION: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/", N_("Inbox"), frozenset(LANE_ROLES)),  # auditors and admins land elsewhere
    ("/applications/new", N_("New application"), frozenset({CASEWORKER})),
    ("/applications", N_("Cases"), frozenset({*LANE_ROLES, AUDITOR})),
    ("/review", N_("Batch review"), frozenset({TOWNSHIP_REVIEWER, COUNTY_APPROVER})),
    ("/payouts", N_("Payouts"), frozenset({FINANCE_OFFICER})),
    ("/insurance", N_("Safety insurance"), frozenset({FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR})),
    ("/audit", N_("Audit"), frozenset({AUDITOR})),
    ("/flows", N_("Flows"), frozenset({ADMIN})),
    ("/people", N_("People"), frozenset({ADMIN})),
    ("/regions", N_("Places"), frozenset({ADMIN})),
    ("/programs/amounts", N_("Program amounts"), frozenset({ADMIN})),
    ("/public/notices", N_("Public notices"), frozenset()),
)


def navigation(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return [("/public/notices", "Public notices")]
    roles = page_roles(user)
    return [(path, label) for path, label, allowed in NAVIGATION if not allowed or allowed & roles]


def task_name(task: Any, language: str) -> str:
    """A task's name in ``language``: the flow's Chinese ``name`` or its English ``name_en``
    (service/engine/names.py). ``task`` is a row, a schema or its JSON."""
    if isinstance(task, dict):
        name, english = task.get("name"), task.get("name_en")
    else:
        name, english = getattr(task, "name", None), getattr(task, "name_en", None)
    if language.startswith("zh"):
        return str(name or english or "")
    return str(english or name or "")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page (or an HTMX fragment) in the session's language; sends the session cookie if
    it changed."""
    session = sessions.of(request)
    language = session.language
    translation = i18n.translations(language)
    flash = session.take_flash() if status_code < 300 else None
    page = environment.get_template(template).render(
        {
            "request": request,
            "user": user,
            "csrf_token": session.csrf,
            "csrf_field": sessions.CSRF_FIELD,
            "language": language,
            "html_lang": i18n.HTML_LANG[language],
            "languages": i18n.LANGUAGES,
            "nav": navigation(user),
            "path": request.url.path,
            "flash": reasons.formatted(flash[0], flash[2], language) if flash else None,
            "flash_kind": flash[1] if flash else "ok",
            "_": translation.gettext,
            "ngettext": translation.ngettext,
            "money": i18n.money,
            # A domain code (status, role, document kind…) as a label in the page's language.
            "term": lambda kind, code: translation.gettext(term(kind, code)),
            "date": lambda value: i18n.date(value, language),
            "datetime": lambda value: i18n.datetime(value, language),
            # A task's name from its flow, in the page's language.
            "task_name": lambda task: task_name(task, language),
            **(context or {}),
        }
    )
    response = HTMLResponse(page, status_code=status_code, headers=headers)
    sessions.save(request, response)
    return response


def redirect(request: Request, url: str) -> Response:
    """After a form post: 303 to ``url`` (for HTMX, the HX-Redirect header does the same)."""
    if request.headers.get("HX-Request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    sessions.save(request, response)
    return response
