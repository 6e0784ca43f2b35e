"""Fixtures of the service tests: temp SQLite settings, app + TestClient, API keys, jobs."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.analysis import Analyzer, load_analyzer
from service.app import create_app
from service.settings import Settings
from service.storage import KeyStore, WorkQueue, create_db_engine, upgrade_database
from service.worker import Worker


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("KOE_"):
            monkeypatch.delenv(name)


@functools.cache
def _cached_analyzer(config: Path | None) -> Analyzer:
    return load_analyzer(Settings(pipeline_config=config))


@pytest.fixture(autouse=True)
def _share_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load each pipeline config once per session instead of once per app."""
    monkeypatch.setattr(
        "service.api.state.load_analyzer", lambda s: _cached_analyzer(s.pipeline_config)
    )


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'koe.db'}",
        "workers": 0,
        "chunk_size": 7,
        "auth_cache_seconds": 0,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_db_engine(settings.database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


def wait_ready(client: TestClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "app never became ready"
        time.sleep(0.02)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        yield client


def _new_key(engine: Engine, tenant: str, scope: str = "full") -> dict[str, str]:
    key, _ = KeyStore(engine).create(tenant, scope)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def new_key(engine: Engine) -> Callable[..., dict[str, str]]:
    """``new_key(tenant, scope="full")`` -> Authorization headers of a fresh key."""
    return functools.partial(_new_key, engine)


@pytest.fixture
def auth(engine: Engine) -> dict[str, str]:
    return _new_key(engine, "acme")


@pytest.fixture
def other_auth(engine: Engine) -> dict[str, str]:
    return _new_key(engine, "globex")


def _run_jobs(client: TestClient) -> int:
    state = client.app_state["koe"]
    queue = WorkQueue(state.engine, keep_raw_text=state.settings.keep_raw_text)
    return Worker(queue, state.analyzer, state.settings, "test").run_until_idle()


@pytest.fixture
def run_jobs() -> Callable[[TestClient], int]:
    """Process every queued chunk in this process (the app runs no workers in tests)."""
    return _run_jobs


def _comments(n: int, **attributes: Any) -> list[dict[str, Any]]:
    texts = ["残業が多すぎて疲れました", "上司のサポートが良いです", "給料が低い", "最高の職場です"]
    return [
        {"id": f"c{i}", "text": texts[i % len(texts)], "attributes": dict(attributes)}
        for i in range(n)
    ]


@pytest.fixture
def comments() -> Callable[..., list[dict[str, Any]]]:
    """``comments(n, **attributes)`` -> request comments cycling through four texts."""
    return _comments


@pytest.fixture
def make_client(
    tmp_path: Path,
) -> Callable[..., AbstractContextManager[TestClient]]:
    """``with make_client(**settings) as client`` -> a ready client on a fresh database."""

    @contextmanager
    def factory(
        wait: bool = True, raise_server_exceptions: bool = True, **overrides: Any
    ) -> Iterator[TestClient]:
        settings = make_settings(tmp_path, **overrides)
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
            if wait:
                wait_ready(client)
            yield client

    return factory
