"""``/v1/jobs``: create (JSON or file upload, idempotent), status, results, delete."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service.api.deps import FullClientDep, MetricsDep, PipelineDep, SettingsDep, StoreDep
from service.api.job_requests import JOB_REQUEST_BODY, parse_job_request
from service.api.schemas.common import problem_responses
from service.api.schemas.jobs import JobPublic, ResultsPage
from service.errors import IdempotencyKeyConflict, InvalidParameter, NotFound
from service.storage import IdempotencyConflict, JobInfo

__all__ = ["job_public", "router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_CURSOR_PREFIX = "v1:"
# what _encode_cursor writes: -1 (before the first result) or a seq, in ASCII digits
_CURSOR_SEQ = re.compile("-1|[0-9]{1,19}")
_MAX_SEQ = 2**62  # far above any job; keeps the value inside SQLite's 64-bit integers
MAX_PAGE = 1000


@router.post(
    "",
    name="create",
    status_code=202,
    response_model=JobPublic,
    openapi_extra={"requestBody": JOB_REQUEST_BODY},
    responses={
        200: {"model": JobPublic, "description": "Replay: the job made with this key."},
        **problem_responses(400, 401, 403, 409, 413, 415, 422, 503),
    },
)
async def create_job(
    request: Request,
    client: FullClientDep,
    pipeline: PipelineDep,
    store: StoreDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=255, description="Retry-safe creation key."),
    ] = None,
) -> JSONResponse:
    """Queue a batch of up to ``KOE_MAX_JOB_COMMENTS`` comments (JSON or an uploaded file).

    The same ``Idempotency-Key`` with the same body returns the same job (200);
    with a different body it is refused (409).
    """
    new_job = await parse_job_request(request, pipeline, settings, idempotency_key)
    try:
        job, created = await run_in_threadpool(store.create, client.tenant_id, new_job)
    except IdempotencyConflict:
        raise IdempotencyKeyConflict(
            "this Idempotency-Key was already used with a different request body; "
            "use a new key for a new job"
        ) from None
    if created:
        metrics.jobs_created.inc()
    return JSONResponse(
        job_public(job).model_dump(mode="json"),
        status_code=202 if created else 200,
        headers={"Location": f"/v1/jobs/{job.id}"},
    )


@router.get(
    "/{job_id}",
    name="get",
    response_model=JobPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def get_job(job_id: str, client: FullClientDep, store: StoreDep) -> JobPublic:
    """Status, counts and progress of a job."""
    return job_public(_job(store, client.tenant_id, job_id))


@router.get(
    "/{job_id}/results",
    name="results",
    response_model=ResultsPage,
    responses=problem_responses(401, 403, 404, 422),
)
def job_results(
    job_id: str,
    client: FullClientDep,
    store: StoreDep,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> Response:
    """Results in input order, ``limit`` at a time; follow ``next_cursor``.

    While the job runs, pages stop before the first comment still being analysed and
    ``next_cursor`` is always set; it is null once every result has been read.
    """
    job = _job(store, client.tenant_id, job_id)
    after = _decode_cursor(cursor)
    try:
        texts, last, exhausted = store.results_page(client.tenant_id, job_id, after, limit)
    except KeyError:  # deleted since _job found it
        raise _not_found(job_id) from None
    next_cursor = None if exhausted else _encode_cursor(after if last is None else last)
    body = (
        '{"data":[' + ",".join(texts) + f'],"count":{len(texts)},'
        f'"next_cursor":{json.dumps(next_cursor)},"job_status":{json.dumps(job.status)}}}'
    )
    return Response(body.encode("utf-8"), media_type="application/json")


@router.delete(
    "/{job_id}", name="delete", status_code=204, responses=problem_responses(401, 403, 404, 422)
)
def delete_job(job_id: str, client: FullClientDep, store: StoreDep) -> Response:
    """Delete the job with its comments and results (irreversible)."""
    if not store.delete(client.tenant_id, job_id):
        raise _not_found(job_id)
    return Response(status_code=204)


def job_public(job: JobInfo) -> JobPublic:
    """Build the public job resource."""
    return JobPublic(
        id=job.id,
        status=job.status,
        pack=job.pack,
        group_columns=job.group_columns,
        total=job.total,
        processed=job.processed,
        errors=job.errors,
        progress=round(job.processed / job.total, 4) if job.total else 1.0,
        pipeline_version=job.pipeline_version,
        error=job.error,
        created_at=_time(job.created_at),
        updated_at=_time(job.updated_at),
        finished_at=_time(job.finished_at) if job.finished_at is not None else None,
    )


def _job(store: StoreDep, tenant_id: int, job_id: str) -> JobInfo:
    job = store.get(tenant_id, job_id)
    if job is None:
        raise _not_found(job_id)
    return job


def _not_found(job_id: str) -> NotFound:
    return NotFound(f"no job {job_id!r} for this API key")


def _time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if cursor is None:
        return -1
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    digits = raw.removeprefix(_CURSOR_PREFIX)
    if raw.startswith(_CURSOR_PREFIX) and _CURSOR_SEQ.fullmatch(digits):
        seq = int(digits)
        if seq < _MAX_SEQ:
            return seq
    raise InvalidParameter(
        "invalid cursor: pass back the next_cursor of a previous page", code="invalid_cursor"
    )
