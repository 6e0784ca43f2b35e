"""What the lifespan builds once and every request shares (Starlette lifespan state)."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from service.analysis import Analyzer, load_analyzer
from service.metrics import Metrics
from service.settings import Settings
from service.storage import JobStore, KeyStore

__all__ = ["AppState"]

logger = logging.getLogger(__name__)


@dataclass
class AppState:
    """Settings, stores and the pipeline (``None`` until loaded in the background)."""

    settings: Settings
    engine: Engine
    jobs: JobStore
    keys: KeyStore
    metrics: Metrics
    analyzer: Analyzer | None = None
    load_error: str | None = None
    checks: dict[str, bool] = field(default_factory=dict)

    def load_pipeline(self) -> None:
        """Load the pipeline; readiness turns true when this returns without error."""
        try:
            self.analyzer = load_analyzer(self.settings)
            # the loaded models live as long as the process: keep them out of the
            # cyclic GC's full collections, which otherwise show up as latency spikes
            gc.collect()
            gc.freeze()
            self.metrics.ready.set(1)
        except Exception as exc:  # noqa: BLE001 — reported by /readyz, logged here
            logger.exception("pipeline failed to load")
            self.load_error = f"{type(exc).__name__}: {exc}"
