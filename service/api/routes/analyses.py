"""``POST /v1/analyses``: analyse up to ``KOE_MAX_SYNC_COMMENTS`` comments synchronously."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service.api.convert import new_comments
from service.api.deps import FullClientDep, JsonBodyDep, MetricsDep, PipelineDep, SettingsDep
from service.api.schemas.analyses import AnalysesPublic, AnalysisCreate
from service.api.schemas.common import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/analyses", tags=["analyses"])

#: batches of at most this many comments and characters in all are analysed on the event
#: loop (a few milliseconds): a thread hop would cost more than it saves; analysis time
#: grows with the text, so larger or longer batches go to a thread
INLINE_MAX = 4
INLINE_MAX_CHARS = 200


@router.post(
    "",
    name="create",
    response_model=AnalysesPublic,
    responses=problem_responses(400, 401, 403, 413, 415, 422, 503),
)
async def create_analysis(
    body: AnalysisCreate,
    _client: FullClientDep,
    _json: JsonBodyDep,
    pipeline: PipelineDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> JSONResponse:
    """Analyse comments now; a bad comment gets an ``error`` and the others still succeed.

    Example response item: ``{"id": "1", "sentiment": "negative", "themes": [{"id":
    "workload", …}], "intent": "complaint", …}``.
    """
    pack = pipeline.check_pack(body.pack or pipeline.default_pack)
    comments = new_comments(
        body.comments,
        max_comments=settings.max_sync_comments,
        max_chars=settings.max_comment_chars,
        hint="Use POST /v1/jobs for larger batches.",
    )
    records = pipeline.records(comments, pack)
    chars = sum(len(r.text or "") for r in records)
    if len(records) <= INLINE_MAX and chars <= INLINE_MAX_CHARS:
        data = pipeline.analyze(records)
    else:
        data = await run_in_threadpool(pipeline.analyze, records)
    errors = sum(1 for d in data if d.get("error"))
    metrics.comments.labels("error").inc(errors)
    metrics.comments.labels("ok").inc(len(data) - errors)
    return JSONResponse({"data": data, "count": len(data), "pipeline_version": pipeline.version})
