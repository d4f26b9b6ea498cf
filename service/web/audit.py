"""The auditor's trail search, chain status and exports (/audit)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
