"""``/api/v1/regions``: the region tree of the caller's county; administrators add, rename and
merge regions in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, AUDITOR, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.places import changes, merges
from service.places.schemas import (
    MergeRequest,
    MergeResult,
    RegionCreate,
    RegionRead,
    RegionRename,
)
from service.regions import service as regions_service

router = APIRouter(
    prefix="/regions", tags=["regions"], responses=problems.responses(401, 403, 404, 422)
)
Admin = Annotated[User, Depends(require_roles(ADMIN))]
Reader = Annotated[User, Depends(require_roles(ADMIN, AUDITOR))]
RegionCode = Annotated[str, Path(pattern=r"^\d{6,12}$")]
IncludeMerged = Annotated[
    bool, Query(description="true: also merged regions, under the parent they had")
]


@router.get("", response_model=list[RegionRead])
async def region_tree(
    user: Reader, session: SessionDep, include_merged: IncludeMerged = False
) -> list[RegionRead]:
    """The current tree of the caller's jurisdiction; each region lists the codes merged
    into it."""
    nodes = await regions_service.tree(
        session, prefix=user.jurisdiction, include_merged=include_merged
    )
    return [RegionRead.of(node) for node in nodes]


@router.get("/{region_code}", response_model=RegionRead)
async def region(
    region_code: RegionCode,
    user: Reader,
    session: SessionDep,
    include_merged: IncludeMerged = False,
) -> RegionRead:
    """A region (merged or not) with its subtree and merge history."""
    await regions_service.get_region(session, region_code, actor=user)
    (node,) = await regions_service.tree(
        session, prefix=user.jurisdiction, include_merged=include_merged, root=region_code
    )
    return RegionRead.of(node)


@router.post("", response_model=RegionRead, status_code=201, responses=problems.responses(409))
async def add(body: RegionCreate, user: Admin, session: WriteSessionDep) -> RegionRead:
    """Add a township or a village to the caller's county (a county: ``relief regions add``)."""
    region = await changes.add_region(
        session, code=body.code, name=body.name, parent_code=body.parent, actor=user
    )
    return RegionRead.of_region(region)


@router.patch("/{region_code}", response_model=RegionRead)
async def rename(
    region_code: RegionCode, body: RegionRename, user: Admin, session: WriteSessionDep
) -> RegionRead:
    """Rename a region; its code, its cases and its people stay."""
    region = await changes.rename_region(session, code=region_code, name=body.name, actor=user)
    return RegionRead.of_region(region)


@router.post("/{region_code}/merge", response_model=MergeResult, responses=problems.responses(409))
async def merge(
    region_code: RegionCode, body: MergeRequest, user: Admin, session: WriteSessionDep
) -> MergeResult:
    """Merge a village into a village or a township into a township of the same county;
    irreversible. Cases keep their ``submitted_village``; their current village, tasks,
    notices and users move to the successor."""
    done = await merges.merge_region(session, source=region_code, into=body.into, actor=user)
    return MergeResult.of(done)
