"""Payouts for the finance officer (/payouts)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
