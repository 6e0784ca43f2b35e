"""The application factory: ``create_app(settings)`` builds the FastAPI app and its lifespan.

The lifespan migrates the database, starts loading the pipeline in the background
(``/readyz`` answers 503 until it is loaded), starts the job worker processes and
stops them on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from service.api.routes import analyses, health, jobs, meta, reports
from service.api.schemas.jobs import JobCreate
from service.api.state import AppState
from service.errors import install_error_handlers
from service.limits import BodyLimitMiddleware
from service.metrics import Metrics, MetricsMiddleware
from service.settings import Settings
from service.storage import JobStore, KeyStore, create_db_engine, upgrade_database
from service.worker import WorkerPool

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the koe API.

    Args:
        settings: Service settings; read from ``KOE_*`` environment variables if omitted.

    Returns:
        The app; serve it with uvicorn (``koe serve`` does).
    """
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        state = await run_in_threadpool(_open_state, settings, metrics)
        loader = asyncio.create_task(asyncio.to_thread(state.load_pipeline))
        pool = WorkerPool(settings)
        supervisor = None
        if settings.workers:
            await run_in_threadpool(pool.start)
            supervisor = asyncio.create_task(_supervise(pool))
        try:
            yield {"koe": state}
        finally:
            if supervisor is not None:
                supervisor.cancel()
            await run_in_threadpool(pool.stop)
            await loader
            state.engine.dispose()

    app = FastAPI(
        title="koe (声) API",
        version=API_VERSION,
        summary="Japanese free-text feedback analysis: sentiment, themes, alerts, reports.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    for router in (analyses.router, jobs.router, reports.router, meta.packs_router,
                   meta.models_router, health.router):  # fmt: skip
        app.include_router(router)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        per_path={"/v1/analyses": min(settings.max_sync_body_bytes, settings.max_body_bytes)},
    )
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    _add_job_schema(app)
    return app


async def _supervise(pool: WorkerPool, every: float = 5.0) -> None:
    """Restart job worker processes that died, for as long as the app runs."""
    while True:
        await asyncio.sleep(every)
        await run_in_threadpool(pool.restart_dead)


def _open_state(settings: Settings, metrics: Metrics) -> AppState:
    engine = create_db_engine(settings.database_url)
    upgrade_database(engine)
    return AppState(
        settings=settings,
        engine=engine,
        jobs=JobStore(engine, settings.chunk_size),
        keys=KeyStore(engine, settings.auth_cache_seconds),
        metrics=metrics,
    )


def _operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def _add_job_schema(app: FastAPI) -> None:
    """Put ``JobCreate`` in the components: the jobs route reads its body by hand."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = base()
        job = JobCreate.model_json_schema(ref_template="#/components/schemas/{model}")
        job.pop("$defs", None)
        schema.setdefault("components", {}).setdefault("schemas", {})["JobCreate"] = job
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
