"""Flow administration: versions, diagrams, uploads and activation (/flows)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
