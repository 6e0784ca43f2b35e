"""``POST /v1/analyses`` analyses only small, short batches on the event loop."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api.routes import analyses


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the batches the route sent to the threadpool."""
    sizes: list[int] = []
    real = analyses.run_in_threadpool

    async def spy(func: Any, records: list[Any]) -> Any:
        sizes.append(len(records))
        return await real(func, records)

    monkeypatch.setattr(analyses, "run_in_threadpool", spy)
    return sizes


@pytest.mark.parametrize(
    ("texts", "in_thread"),
    [
        (["残業が多すぎて疲れました"] * analyses.INLINE_MAX, False),
        (["残業が多すぎて疲れました"] * (analyses.INLINE_MAX + 1), True),
        (["残" * (analyses.INLINE_MAX_CHARS + 1)], True),
        (["上司は優しい。" * 30, "給料が低い"], True),
    ],
)
def test_analyses_long_or_large_batches_go_to_a_thread(
    client: TestClient,
    auth: dict[str, str],
    threaded: list[int],
    texts: list[str],
    in_thread: bool,
) -> None:
    body = {"comments": [{"text": t} for t in texts]}
    response = client.post("/v1/analyses", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["count"] == len(texts)
    assert threaded == ([len(texts)] if in_thread else [])
