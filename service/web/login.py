"""Logging in and out of the console, and the language switch."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from service.auth import service as auth_service
from service.errors import NotAuthenticated, ServiceBusy, TooManyAttempts
from service.web import reasons
from service.web.deps import MaybeUser
from service.web.sessions import WebSessionDep
from service.web.templating import redirect, render

router = APIRouter()


# A path of this site as the console links them: no scheme, host, backslash, space or control
# character (browsers drop tabs and newlines, turning "/\t/evil.example" into "//evil.example").
_LOCAL_PATH = re.compile(r"/(?![/\\])[!#-\[\]-~]*")


def local_path(target: str | None) -> str:
    """Where to go after a form: a path of this site only (no open redirect to another)."""
    if not target or not _LOCAL_PATH.fullmatch(target):
        return "/"
    return target


@router.get("/login")
async def login_form(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, local_path(next))
    return render(
        request,
        "login.html",
        {"next": local_path(next), "username": "", "refusal": None, "wrong": False},
    )


@router.post("/login")
async def log_in(
    request: Request,
    web: WebSessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The same check, limits and audit of failures as the API's token endpoint. A refusal
    shows the form again with why (by its code, in the page's language) and when to retry."""
    address = request.client.host if request.client else "unknown"
    try:
        user = await auth_service.authenticate(
            username=username, password=password, address=address
        )
    except (NotAuthenticated, TooManyAttempts, ServiceBusy) as refused:
        wait = refused.extra.get("retry_after")
        context = {
            "next": local_path(next),
            "username": username[:64],
            # When to try again, in minutes or seconds, in the page's language.
            "refusal": reasons.say(
                refused.code, {"retry_after": wait}, web.language, status=refused.status
            )
            if wait
            else None,
            "wrong": not wait,
        }
        headers = {"Retry-After": str(wait)} if wait else None
        return render(request, "login.html", context, status_code=refused.status, headers=headers)
    web.log_in(user)
    return redirect(request, local_path(next))


@router.post("/logout")
async def log_out(request: Request, web: WebSessionDep, user: MaybeUser) -> Response:
    """Ends this session and every other web session of the user (a copied cookie too)."""
    if user is not None:
        await auth_service.end_web_sessions(user)
    web.log_out()
    return redirect(request, "/login")


@router.post("/language")
async def switch_language(
    request: Request,
    web: WebSessionDep,
    language: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    web.set_language(language)
    return redirect(request, local_path(next))
