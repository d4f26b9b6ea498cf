"""The console's regions pages (administrators)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
