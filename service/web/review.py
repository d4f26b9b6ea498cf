"""Batch review 集中申报复核 (/review)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
