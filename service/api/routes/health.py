"""``/healthz`` (liveness), ``/readyz`` (pipeline loaded, database reachable), ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from service.api.deps import AppStateDep
from service.api.schemas.common import problem_responses
from service.api.schemas.meta import HealthPublic
from service.errors import NotReady

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", name="live", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    """The process is up (it may still be loading the pipeline)."""
    return HealthPublic(status="ok")


@router.get("/readyz", name="ready", response_model=HealthPublic, responses=problem_responses(503))
async def readyz(state: AppStateDep) -> HealthPublic:
    """Ready to serve: the pipeline is loaded and the database answers (else 503)."""
    database = await run_in_threadpool(state.jobs.ping)
    checks = {"pipeline": state.analyzer is not None, "database": database}
    if not all(checks.values()):
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        reason = " (failed to load; see the server log)" if state.load_error else ""
        raise NotReady(f"not ready: {failing}{reason}")
    return HealthPublic(status="ready", checks=checks)


@router.get(
    "/metrics",
    name="metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(state: AppStateDep) -> PlainTextResponse:
    """Prometheus metrics in the text exposition format."""
    counts = await run_in_threadpool(state.jobs.count_by_status)
    return PlainTextResponse(state.metrics.render(counts), media_type=CONTENT_TYPE_LATEST)
