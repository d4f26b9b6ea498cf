"""A case's timeline as the console shows it: the real changes
(``service.applications.views.timeline_rows``), each completed task named with the decision
as its flow calls it (重新提交, 举报属实，撤销认定 …); the template says both in the page's
language (``task_name``, ``DecisionOption.name``).

Shared by the case page and the upload's answer, which brings the timeline along.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import views
from service.applications.schemas import ApplicationDetail
from service.engine import DecisionOption
from service.tasks import data as task_data
from service.tasks.models import Task


async def context(session: AsyncSession, detail: ApplicationDetail) -> dict[str, Any]:
    """``timeline`` (the rows) and ``timeline_tasks``: task id → (the task, the decision it
    was completed with as its flow offers it) for the completed tasks the rows show."""
    rows = views.timeline_rows(detail)
    ids = {row.entry.task_id for row in rows if row.decision and row.entry.task_id}
    tasks = (await session.exec(select(Task).where(col(Task.id).in_(ids)))).all() if ids else []
    named: dict[int, tuple[Task, DecisionOption | None]] = {}
    for task in tasks:
        assert task.id is not None
        options = await task_data.offered_decisions(session, task)
        named[task.id] = (task, next((o for o in options if o.code == task.decision), None))
    return {"timeline": rows, "timeline_tasks": named}
