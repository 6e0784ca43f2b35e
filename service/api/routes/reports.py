"""``GET /v1/jobs/{id}/report``: statistics per group, small groups suppressed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.api.deps import ClientDep, SettingsDep, StoreDep
from service.api.schemas.common import problem_responses
from service.api.schemas.reports import ReportPublic
from service.errors import InvalidParameter, JobNotReady, NotFound
from service.reports import ReportError, build_report

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["reports"])


@router.get(
    "/{job_id}/report",
    name="get",
    response_model=ReportPublic,
    responses=problem_responses(401, 404, 409, 422),
)
def job_report(
    job_id: str,
    client: ClientDep,
    store: StoreDep,
    settings: SettingsDep,
    group_by: Annotated[
        str, Query(max_length=500, description="Comma-separated group columns, e.g. dept,wave.")
    ] = "",
    min_group_size: Annotated[
        int | None,
        Query(ge=3, le=100, description="Hide groups smaller than this (default 5)."),
    ] = None,
) -> dict[str, Any]:
    """Sentiment, themes and alerts per group of a succeeded job.

    Groups with fewer than ``min_group_size`` comments are suppressed, and so are
    further groups (or the total) whenever published numbers could be subtracted to
    reveal a suppressed one, in this report or any other report of the job.
    Available to keys of either scope (``reports`` keys can read nothing else).
    """
    job = store.get(client.tenant_id, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r} for this API key")
    if job.status != "succeeded":
        raise JobNotReady(f"job is {job.status}; reports are made from succeeded jobs only")
    k = settings.report_default_min_group_size if min_group_size is None else min_group_size
    if k < settings.report_min_group_size_floor:
        raise InvalidParameter(
            f"min_group_size must be at least {settings.report_min_group_size_floor} "
            "on this server",
            code="min_group_size_too_small",
        )
    columns = [c.strip() for c in group_by.split(",") if c.strip()]
    if len(job.group_columns) > settings.report_max_group_columns:
        raise InvalidParameter(
            f"this job has {len(job.group_columns)} group columns; reports support at most "
            f"{settings.report_max_group_columns}: create the job with group_columns",
            code="invalid_group_by",
        )
    try:
        report = build_report(
            store.iter_results(client.tenant_id, job_id),
            group_by=columns,
            group_columns=job.group_columns,
            min_group_size=k,
            floor=settings.report_min_group_size_floor,
            max_cells=settings.report_max_cells,
        )
    except ReportError as exc:
        raise InvalidParameter(str(exc), code="invalid_group_by") from None
    # the store yields analysed comments only; the job counts those that failed
    report["excluded_errors"] = job.errors
    return {"job_id": job.id, "pipeline_version": job.pipeline_version, **report}
