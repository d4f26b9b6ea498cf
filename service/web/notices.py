"""Public notices 公示 and the objection form (/public/notices)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
