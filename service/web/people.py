"""The console's people pages (administrators)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
