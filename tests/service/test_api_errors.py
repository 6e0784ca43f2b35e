"""Every error path answers RFC 9457 problem+json with a stable ``code``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.errors import problem_body
from service.storage import KeyStore

RunJobs = Callable[[TestClient], int]

NewKey = Callable[..., dict[str, str]]
Comments = Callable[..., list[dict[str, Any]]]

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_KEYS <= set(body) <= PROBLEM_KEYS | {"errors"}
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:koe:problem:{code}"
    assert body["detail"]
    return body


def test_errors_problem_body_keys_are_pinned() -> None:
    body = problem_body(404, "not_found", "no job 'x'", "/v1/jobs/x")
    assert list(body) == ["type", "title", "status", "detail", "instance", "code"]
    assert body == {
        "type": "urn:koe:problem:not_found", "title": "Not Found", "status": 404,
        "detail": "no job 'x'", "instance": "/v1/jobs/x", "code": "not_found",
    }  # fmt: skip
    with_errors = problem_body(422, "validation_error", "bad", "/x", errors=[{"loc": ["a"]}])
    assert list(with_errors) == [*body, "errors"]


# fmt: off
@pytest.mark.parametrize(("method", "path"), [
    ("post", "/v1/analyses"),
    ("post", "/v1/jobs"),
    ("get", "/v1/jobs/x"),
    ("get", "/v1/jobs/x/results"),
    ("get", "/v1/jobs/x/report"),
    ("delete", "/v1/jobs/x"),
    ("get", "/v1/packs"),
    ("get", "/v1/models"),
])
# fmt: on
def test_errors_auth_required(client: TestClient, method: str, path: str) -> None:
    body = assert_problem(client.request(method, path), 401, "unauthorized")
    assert "Authorization" in body["detail"]
    response = client.request(method, path, headers={"Authorization": "Bearer koe_wrong"})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(client.request(method, path, headers={"Authorization": "Basic abc"}),
                   401, "unauthorized")  # fmt: skip


def test_errors_revoked_key(client: TestClient, engine: Engine, new_key: NewKey) -> None:
    headers = new_key("acme")
    assert client.get("/v1/packs", headers=headers).status_code == 200
    assert KeyStore(engine).revoke(headers["Authorization"].removeprefix("Bearer ")) == 1
    assert_problem(client.get("/v1/packs", headers=headers), 401, "unauthorized")


def test_errors_revocation_within_cache_time(make_client: Any) -> None:
    with make_client(auth_cache_seconds=0.3) as client:
        engine = client.app_state["koe"].engine
        headers = _key(engine)
        assert client.get("/v1/packs", headers=headers).status_code == 200
        KeyStore(engine).revoke(headers["Authorization"].removeprefix("Bearer "))
        assert client.get("/v1/packs", headers=headers).status_code == 200  # cached
        time.sleep(0.35)
        assert_problem(client.get("/v1/packs", headers=headers), 401, "unauthorized")


def test_errors_reports_scope_is_forbidden_elsewhere(
    client: TestClient, new_key: NewKey, comments: Comments
) -> None:
    headers = new_key("acme", scope="reports")
    assert client.get("/v1/packs", headers=headers).status_code == 200
    body = {"comments": comments(1)}
    assert_problem(client.post("/v1/analyses", json=body, headers=headers), 403, "forbidden")
    assert_problem(client.post("/v1/jobs", json=body, headers=headers), 403, "forbidden")
    assert_problem(client.get("/v1/jobs/x/results", headers=headers), 403, "forbidden")
    assert_problem(client.get("/v1/jobs/x/report", headers=headers), 404, "not_found")


def test_errors_not_found_and_method(client: TestClient, auth: dict[str, str]) -> None:
    assert_problem(client.get("/v1/jobs/nope", headers=auth), 404, "not_found")
    assert_problem(client.get("/nowhere"), 404, "not_found")
    assert_problem(client.put("/v1/analyses", headers=auth), 405, "method_not_allowed")


# fmt: off
@pytest.mark.parametrize("body", [
    {},
    {"comments": "x"},
    {"comments": [{"text": 1}]},
    {"comments": [{"text": "a", "attributes": {"dept": {"nested": 1}}}]},
    {"comments": [], "extra": 1},
    [],
])
# fmt: on
def test_errors_validation(client: TestClient, auth: dict[str, str], body: object) -> None:
    for path in ("/v1/analyses", "/v1/jobs"):
        problem = assert_problem(client.post(path, json=body, headers=auth), 422,
                                 "validation_error")  # fmt: skip
        assert problem["errors"] and problem["errors"][0]["loc"][0] == "body"


def test_errors_invalid_json(client: TestClient, auth: dict[str, str]) -> None:
    headers = auth | {"Content-Type": "application/json"}
    for path in ("/v1/analyses", "/v1/jobs"):
        assert_problem(
            client.post(path, content=b"{nope", headers=headers), 422, "validation_error"
        )
    for constant in (b"NaN", b"Infinity", b"-Infinity"):  # Python's json takes them; JSON not
        body = b'{"comments": [{"text": "a", "attributes": {"x": %s}}]}' % constant
        for path in ("/v1/analyses", "/v1/jobs"):
            problem = assert_problem(
                client.post(path, content=body, headers=headers), 422, "validation_error"
            )
            assert "'x'" in problem["detail"]
    # bytes that are not UTF-8 at all: FastAPI cannot parse the body (documented 400)
    assert_problem(
        client.post("/v1/analyses", content=b"\xff\xfe\x00", headers=headers), 400,
        "bad_request",
    )  # fmt: skip
    assert_problem(
        client.post("/v1/jobs", content=b"\xff\xfe\x00", headers=headers), 422,
        "validation_error",
    )  # fmt: skip
    # a job body nested past the parsers' depth, or in UTF-16 (which skips the size walk)
    deep = b'{"comments": [{"text": "a", "attributes": {"x": %s}}]}' % (b"[" * 5000 + b"]" * 5000)
    utf16 = '{"comments": [{"text": "残業"}]}'.encode("utf-16")
    for body in (deep, utf16):
        assert_problem(client.post("/v1/jobs", content=body, headers=headers), 422,
                       "validation_error")  # fmt: skip


# fmt: off
@pytest.mark.parametrize(("comment", "field"), [
    (b'{"text": "\\ud800 ok"}', "text"),
    (b'{"id": "\\udc00", "text": "ok"}', "id"),
    (b'{"text": "ok", "attributes": {"dept": "a\\udbff"}}', "attributes"),
    (b'{"text": "ok", "attributes": {"\\ud800": "a"}}', "attributes"),
])
# fmt: on
def test_errors_lone_surrogates(
    client: TestClient, auth: dict[str, str], comment: bytes, field: str
) -> None:
    body = b'{"comments": [{"text": "fine"}, %s]}' % comment  # valid JSON, invalid Unicode
    headers = auth | {"Content-Type": "application/json"}
    problem = assert_problem(client.post("/v1/analyses", content=body, headers=headers), 422,
                             "validation_error")  # fmt: skip
    assert problem["errors"][0]["loc"] == ["body", "comments", 1, field]
    assert "lone surrogate" in problem["detail"] and "not valid Unicode" in problem["detail"]
    problem = assert_problem(client.post("/v1/jobs", content=body, headers=headers), 422,
                             "validation_error")  # fmt: skip
    assert problem["errors"][0]["loc"] == ["body", "comments", 1, field]
    assert "lone surrogate" in problem["detail"]


def test_errors_query_validation(client: TestClient, auth: dict[str, str]) -> None:
    assert_problem(client.get("/v1/jobs/x/results?limit=0", headers=auth), 422,
                   "validation_error")  # fmt: skip
    assert_problem(client.get("/v1/jobs/x/report?min_group_size=2", headers=auth), 422,
                   "validation_error")  # fmt: skip


def test_errors_limits_say_the_limit(
    client: TestClient, auth: dict[str, str], comments: Comments
) -> None:
    body = assert_problem(
        client.post("/v1/analyses", json={"comments": comments(101)}, headers=auth),
        413, "batch_too_large",
    )
    assert "100" in body["detail"] and "/v1/jobs" in body["detail"]
    body = assert_problem(client.post("/v1/analyses", json={"pack": "../etc/x.yaml",
                                      "comments": comments(1)}, headers=auth),
                          422, "unknown_pack")  # fmt: skip
    assert "employee" in body["detail"]


def test_errors_a_too_long_comment_fails_alone(
    client: TestClient, auth: dict[str, str], run_jobs: RunJobs
) -> None:
    long = {"comments": [{"text": "残業が多すぎる"}, {"text": "あ" * 10_001}]}
    response = client.post("/v1/analyses", json=long, headers=auth)
    assert response.status_code == 200, response.text
    synced = response.json()["data"]
    job = client.post("/v1/jobs", json=long, headers=auth)
    assert job.status_code == 202, job.text
    run_jobs(client)
    queued = client.get(f"/v1/jobs/{job.json()['id']}/results", headers=auth).json()["data"]
    for first, second in (synced, queued):
        assert first["error"] is None and first["sentiment"] == "negative"
        assert second["id"] == "2" and second["error"]["code"] == "text_too_long"
        assert "10,001" in second["error"]["message"] and "10,000" in second["error"]["message"]


def test_errors_sync_bodies_have_their_own_smaller_limit(make_client: Any) -> None:
    with make_client(max_sync_body_bytes=2048) as client:
        headers = _key(client.app_state["koe"].engine)
        big = {"comments": [{"text": "あ" * 1000}]}
        body = assert_problem(client.post("/v1/analyses", json=big, headers=headers), 413,
                              "payload_too_large")  # fmt: skip
        assert "2,048" in body["detail"]
        assert client.post("/v1/jobs", json=big, headers=headers).status_code == 202
        report = client.get("/v1/jobs/x/report?min_group_size=101", headers=headers)
        assert_problem(report, 422, "validation_error")


def test_errors_body_too_large(make_client: Any) -> None:
    with make_client(max_body_bytes=2048) as client:
        state = client.app_state["koe"]
        headers = _key(state.engine)
        big = {"comments": [{"text": "あ" * 1000}]}
        body = assert_problem(client.post("/v1/analyses", json=big, headers=headers), 413,
                              "payload_too_large")  # fmt: skip
        assert "2,048" in body["detail"]

        def chunks():  # no Content-Length: counted while streaming
            yield b'{"comments": [{"text": "'
            for _ in range(10):
                yield b"a" * 500
            yield b'"}]}'

        streamed = client.post("/v1/jobs", content=chunks(), headers=headers
                               | {"Content-Type": "application/json"})  # fmt: skip
        assert_problem(streamed, 413, "payload_too_large")


def test_errors_media_type_and_idempotency(
    client: TestClient, auth: dict[str, str], comments: Comments
) -> None:
    body = b'{"comments": [{"text": "x"}]}'
    for path in ("/v1/jobs", "/v1/analyses"):
        for media in ("text/plain", None):
            headers = auth | ({"Content-Type": media} if media else {})
            problem = assert_problem(client.post(path, content=body, headers=headers), 415,
                                     "unsupported_media_type")  # fmt: skip
            assert "application/json" in problem["detail"]
    merge = auth | {"Content-Type": "application/merge-patch+json"}
    assert client.post("/v1/analyses", content=body, headers=merge).status_code == 200
    key = auth | {"Idempotency-Key": "k1"}
    assert client.post("/v1/jobs", json={"comments": comments(2)}, headers=key).status_code == 202
    assert_problem(client.post("/v1/jobs", json={"comments": comments(3)}, headers=key), 409,
                   "idempotency_conflict")  # fmt: skip


def test_errors_not_ready_until_pipeline_loads(
    make_client: Any, tmp_path: Any, comments: Comments
) -> None:
    with make_client(wait=False, pipeline_config=tmp_path / "missing.toml") as client:
        assert client.get("/healthz").status_code == 200
        headers = _key(client.app_state["koe"].engine)
        for _ in range(250):  # the load fails in the background thread
            if client.app_state["koe"].load_error:
                break
            time.sleep(0.02)
        ready = client.get("/readyz")
        body = assert_problem(ready, 503, "not_ready")
        assert "missing.toml" not in body["detail"]  # no server paths in responses
        analyses = client.post("/v1/analyses", json={"comments": comments(1)}, headers=headers)
        assert_problem(analyses, 503, "not_ready")
        assert ready.headers["retry-after"] == analyses.headers["retry-after"] == "5"


def test_errors_unexpected_is_a_problem(make_client: Any) -> None:
    from service.api.deps import get_store

    class BrokenStore:
        def get(self, *_args: object) -> None:
            raise RuntimeError("secret detail")

    with make_client(raise_server_exceptions=False) as client:
        client.app.dependency_overrides[get_store] = BrokenStore
        response = client.get("/v1/jobs/x", headers=_key(client.app_state["koe"].engine))
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in body["detail"]


def _key(engine: Engine) -> dict[str, str]:
    key, _ = KeyStore(engine).create("acme")
    return {"Authorization": f"Bearer {key}"}
