from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from service.auth import service as auth_service
from service.auth.dependencies import CurrentUser
from service.auth.schemas import Me, PasswordChange, Token
from service.http import problems
from service.http.deps import SessionDep

router = APIRouter(prefix="/auth", tags=["auth"], responses=problems.responses(401, 422, 429, 503))


@router.post("/token", response_model=Token)
async def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request) -> Token:
    """Exchange username and password for a bearer token (OAuth2 password flow)."""
    return await auth_service.login(
        username=form.username, password=form.password, address=_address(request)
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/me", response_model=Me)
async def me(user: CurrentUser, session: SessionDep) -> Me:
    """The caller: roles and jurisdiction."""
    return await auth_service.describe(session, user)


@router.post(
    "/password", status_code=204, response_class=Response, responses=problems.responses(409)
)
async def change_password(body: PasswordChange, user: CurrentUser, request: Request) -> Response:
    """Change the caller's own password: the current one, then a new one that meets the policy
    (at least ``RELIEF_PASSWORD_MIN_LENGTH`` characters, at most 128, not common, not the
    username, not a sequence; each reason a refusal breaks is listed in ``errors``). A wrong
    current password counts as a failed login (401, then 429). Every token issued before,
    this one included, is refused afterwards (401 ``token-revoked``): log in again."""
    await auth_service.change_password(
        user,
        current_password=body.current_password,
        new_password=body.new_password,
        address=_address(request),
    )
    return Response(status_code=204)
