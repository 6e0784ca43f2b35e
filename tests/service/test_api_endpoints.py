"""``/v1/analyses``, ``/v1/packs``, ``/v1/models``, reports over HTTP, health and metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

Comments = Callable[..., list[dict[str, Any]]]
RunJobs = Callable[[TestClient], int]
RESULT_KEYS = {"id", "pack", "sentiment", "sentiment_scores", "themes", "intent", "alert",
               "pii", "text_redacted", "clauses", "error"}  # fmt: skip


def test_analyses_sync(client: TestClient, auth: dict[str, str]) -> None:
    body = {
        "pack": "employee",
        "comments": [
            {"id": "a", "text": "残業が多すぎて疲れました", "attributes": {"dept": "営業"}},
            {"id": 7, "text": "   "},
            {"text": None},
        ],
    }
    response = client.post("/v1/analyses", json=body, headers=auth)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["count"] == 3 and payload["pipeline_version"]
    first, blank, missing = payload["data"]
    assert set(first) == RESULT_KEYS | {"dept"}
    assert first["id"] == "a" and first["dept"] == "営業" and first["error"] is None
    assert [t["id"] for t in first["themes"]] == ["workload"]
    assert (blank["id"], blank["error"]["code"]) == ("7", "empty_text")
    assert missing["id"] == "3" and missing["error"]


def test_analyses_same_shape_as_library(client: TestClient, auth: dict[str, str]) -> None:
    from nlp.io import InputRecord

    state = client.app_state["koe"]
    text = "上司のサポートが良いです。でも給料が低い"
    expected = state.analyzer.pipeline.analyze_records(
        [InputRecord(id="1", text=text, attributes={}, pack="employee")]
    )[0].to_dict()
    got = client.post("/v1/analyses", json={"comments": [{"text": text}]}, headers=auth).json()
    assert got["data"] == [expected]


def test_analyses_default_pack_and_customer(client: TestClient, auth: dict[str, str]) -> None:
    for pack in (None, "customer"):
        body = {"comments": [{"text": "対応がとても丁寧でした"}]} | ({"pack": pack} if pack else {})
        data = client.post("/v1/analyses", json=body, headers=auth).json()["data"][0]
        assert data["pack"] == (pack or "employee")


def test_packs_and_models(client: TestClient, auth: dict[str, str]) -> None:
    packs = client.get("/v1/packs", headers=auth).json()
    assert [p["id"] for p in packs["data"]] == ["customer", "employee"] and packs["count"] == 2
    employee = packs["data"][1]
    assert employee["default"] and employee["label"]["ja"] and employee["label"]["en"]
    theme = employee["themes"][0]
    assert theme["id"] and theme["label"]["ja"] and theme["label"]["en"]
    models = client.get("/v1/models", headers=auth).json()
    assert models["pipeline_version"].startswith("koe-")
    assert models["sentiment_backend"] in models["available_backends"]


def test_models_do_not_show_the_terms_redacted(make_client: Any, tmp_path: Path) -> None:
    config = tmp_path / "fast.toml"
    config.write_text('[pipeline]\ncomment_model = ""\npii_terms = ["渋谷店", "計画X"]\n', "utf-8")
    with make_client(pipeline_config=config) as client:
        from service.storage import KeyStore

        key, _ = KeyStore(client.app_state["koe"].engine).create("acme")
        response = client.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.json()["config"]["pii_terms"] == 2
    assert "渋谷店" not in response.text


def test_report_endpoint(
    client: TestClient, auth: dict[str, str], new_key: Callable[..., dict[str, str]],
    comments: Comments, run_jobs: RunJobs,
) -> None:  # fmt: skip
    body = {
        "comments": [
            *comments(12, dept="営業", wave="w1"),
            *comments(6, dept="開発", wave="w1"),
            *comments(2, dept="法務", wave="w2"),
        ],
        "group_columns": ["dept", "wave"],
    }
    job = client.post("/v1/jobs", json=body, headers=auth).json()
    url = f"/v1/jobs/{job['id']}/report"
    early = client.get(url, params={"group_by": "dept"}, headers=auth)
    assert early.status_code == 409 and early.json()["code"] == "job_not_ready"
    run_jobs(client)
    reader = new_key("acme", scope="reports")
    report = client.get(url, params={"group_by": "dept"}, headers=reader).json()
    assert report["group_by"] == ["dept"] and report["min_group_size"] == 5
    by_key = {g["key"]["dept"]: g for g in report["groups"]}
    assert by_key["営業"]["n"] == 12 and by_key["法務"]["suppressed"]
    assert by_key["開発"]["suppressed"]  # complement: else total - 営業 - 開発 = 法務
    assert report["total"]["n"] == 20
    both = client.get(url, params={"group_by": "wave,dept", "min_group_size": 3}, headers=auth)
    assert both.status_code == 200 and both.json()["group_by"] == ["wave", "dept"]
    for params, code in [
        ({"group_by": "site"}, "invalid_group_by"),
        ({"group_by": "dept,dept"}, "invalid_group_by"),
        ({"min_group_size": 2}, "validation_error"),
        ({"min_group_size": "x"}, "validation_error"),
    ]:
        response = client.get(url, params=params, headers=auth)
        assert response.status_code == 422 and response.json()["code"] == code, params


def test_report_floor_setting(make_client: Any, comments: Comments, run_jobs: RunJobs) -> None:
    with make_client(report_min_group_size_floor=5) as client:
        from service.storage import KeyStore

        key, _ = KeyStore(client.app_state["koe"].engine).create("acme")
        auth = {"Authorization": f"Bearer {key}"}
        job = client.post("/v1/jobs", json={"comments": comments(6, dept="A")}, headers=auth)
        run_jobs(client)
        url = f"/v1/jobs/{job.json()['id']}/report"
        low = client.get(url, params={"min_group_size": 4}, headers=auth)
        assert low.status_code == 422 and low.json()["code"] == "min_group_size_too_small"
        assert client.get(url, params={"min_group_size": 5}, headers=auth).status_code == 200


def test_health_and_metrics(client: TestClient, auth: dict[str, str]) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz").json()
    assert ready == {"status": "ready", "checks": {"pipeline": True, "database": True}}
    client.post("/v1/analyses", json={"comments": [{"text": "良い"}, {"text": ""}]}, headers=auth)
    client.get("/v1/jobs/none", headers=auth)
    client.request("FROBNICATE", "/healthz")  # a made-up method adds no series of its own
    text = client.get("/metrics").text
    assert "FROBNICATE" not in text and 'method="other"' in text
    assert 'koe_http_requests_total{method="POST",route="/v1/analyses",status="200"} 1.0' in text
    assert 'route="/v1/jobs/{job_id}",status="404"' in text
    assert 'koe_comments_analyzed_total{outcome="error"} 1.0' in text
    assert 'koe_jobs{status="queued"} 0.0' in text and "koe_pipeline_ready 1.0" in text


def test_openapi_operation_ids(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"analyses-create", "jobs-create", "jobs-get", "jobs-results", "jobs-delete",
            "reports-get", "packs-list", "models-list", "health-live", "health-ready",
            "health-metrics"} <= ids  # fmt: skip
    body = schema["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert "JobCreate" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():  # every error is documented as it is sent
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = response.get("content", {})
                    assert "application/problem+json" in content, (method, path, status)
