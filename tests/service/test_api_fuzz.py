"""Property-based fuzzing of every operation from the OpenAPI schema (schemathesis).

The app runs under uvicorn in a thread on a loopback port; no generated request may
get a 5xx, and every response must match the schema (problem+json included).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.storage import KeyStore, create_db_engine, upgrade_database  # noqa: E402


class LiveServer:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    import socket

    import uvicorn

    directory = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        database_url=f"sqlite:///{directory / 'koe.db'}", workers=0,
        max_body_bytes=256 * 1024,
    )  # fmt: skip
    engine = create_db_engine(app_settings.database_url)
    upgrade_database(engine)
    key, _ = KeyStore(engine).create("fuzz")
    engine.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(app_settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "fuzz server not ready"
        time.sleep(0.05)
    yield LiveServer(url, {"Authorization": f"Bearer {key}"})
    server.should_exit = True
    thread.join(15)


CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance,
]  # fmt: skip


def test_api_fuzz_no_server_errors(live_server: LiveServer) -> None:
    api = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 11
    cases = [(op, mode) for op in operations for mode in GenerationMode]
    for operation, mode in cases:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def fuzz(case: Any) -> None:
            case.call_and_validate(
                base_url=live_server.url, headers=live_server.headers, checks=CHECKS
            )

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to break in this operation
