"""The submission form for caseworkers (/applications/new)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
