"""API routers, one module per resource."""

from __future__ import annotations

from service.api.routes import analyses, health, jobs, meta, reports

__all__ = ["analyses", "health", "jobs", "meta", "reports"]
