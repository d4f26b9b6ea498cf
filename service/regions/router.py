"""``/api/v1/regions``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/regions", tags=["regions"])
