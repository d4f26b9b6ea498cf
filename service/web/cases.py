"""A case: applicant, status, timeline, documents, payout, flow diagram and decision form."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
