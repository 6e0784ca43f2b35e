"""Prometheus metrics of one app instance (own registry) and the ASGI middleware feeding it."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "MetricsMiddleware"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's counters; a fresh registry per app keeps tests independent."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "koe_http_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "koe_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.comments = Counter(
            "koe_comments_analyzed",
            "Comments analysed synchronously, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.jobs_created = Counter(
            "koe_jobs_created",
            "Jobs created (idempotent replays not counted).",
            registry=self.registry,
        )
        self.jobs = Gauge(
            "koe_jobs",
            "Jobs in the store by status (all tenants).",
            ["status"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "koe_pipeline_ready", "1 once the pipeline is loaded.", registry=self.registry
        )

    def render(self, job_counts: dict[str, int]) -> bytes:
        """Refresh the store gauges and return the text exposition format."""
        for status in ("queued", "running", "succeeded", "failed"):
            self.jobs.labels(status=status).set(job_counts.get(status, 0))
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware timing each HTTP request under its route template."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], Metrics | None]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and count it once the response has started."""
        metrics = self.metrics()
        if scope["type"] != "http" or metrics is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            if method not in _METHODS:  # a made-up method must not add a series
                method = "other"
            metrics.requests.labels(method, template, str(status)).inc()
            metrics.latency.labels(method, template).observe(time.perf_counter() - started)
