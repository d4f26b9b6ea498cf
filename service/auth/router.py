from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from service import problems
from service.auth import service as auth_service
from service.auth.dependencies import CurrentUser
from service.auth.schemas import Me, Token
from service.db import SessionDep

router = APIRouter(prefix="/auth", tags=["auth"], responses=problems.responses(401, 422, 429))


@router.post("/token", response_model=Token)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep
) -> Token:
    """Exchange username and password for a bearer token (OAuth2 password flow)."""
    address = request.client.host if request.client else "unknown"
    return await auth_service.login(
        session, username=form.username, password=form.password, address=address
    )


@router.get("/me", response_model=Me)
async def me(user: CurrentUser, session: SessionDep) -> Me:
    """The caller: roles and jurisdiction."""
    return await auth_service.describe(session, user)
