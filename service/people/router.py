"""``/api/v1/people``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/people", tags=["people"])
