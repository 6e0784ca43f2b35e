"""``/v1/jobs``: creation (JSON, upload), idempotency, tenants, pagination, deletion, raw text."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

Comments = Callable[..., list[dict[str, Any]]]
RunJobs = Callable[[TestClient], int]
TABLES = ("jobs", "comments", "chunks", "results")
RAW_LEFT = "SELECT count(*) FROM comments WHERE text IS NOT NULL"


def create(client: TestClient, auth: dict[str, str], body: dict[str, Any], **headers: str) -> Any:
    response = client.post("/v1/jobs", json=body, headers=auth | headers)
    assert response.status_code in (200, 202), response.text
    return response


def all_results(client: TestClient, auth: dict[str, str], job_id: str, limit: int) -> list[dict]:
    results: list[dict] = []
    cursor = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/v1/jobs/{job_id}/results", params=params, headers=auth).json()
        assert page["count"] == len(page["data"]) <= limit
        results += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return results
    raise AssertionError("pagination never ended")


def test_jobs_default_group_columns_obey_the_report_limit(
    client: TestClient, auth: dict[str, str]
) -> None:
    attributes = {k: "x" for k in ("dept", "role", "site", "tenure", "wave")}  # limit is 4
    body = {"comments": [{"text": "残業が多い", "attributes": attributes}]}
    response = client.post("/v1/jobs", json=body, headers=auth)
    assert response.status_code == 422 and response.json()["code"] == "invalid_group_columns"
    assert "dept, role, site, tenure, wave" in response.json()["detail"]
    body["group_columns"] = ["dept", "wave"]
    assert create(client, auth, body).json()["group_columns"] == ["dept", "wave"]


def test_jobs_lifecycle(
    client: TestClient, auth: dict[str, str], comments: Comments, run_jobs: RunJobs
) -> None:
    body = {"pack": "employee", "comments": [*comments(19, dept="営業"), {"id": "bad", "text": ""}]}
    response = create(client, auth, body)
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["status"], job["total"], job["processed"], job["progress"]) == ("queued", 20, 0, 0)
    assert job["group_columns"] == ["dept"]
    page = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()
    assert page["data"] == [] and page["next_cursor"] and page["job_status"] == "queued"

    assert run_jobs(client) == 3  # chunk_size 7 in tests
    done = client.get(f"/v1/jobs/{job['id']}", headers=auth).json()
    assert (done["status"], done["processed"], done["errors"], done["progress"]) == (
        "succeeded", 20, 1, 1.0,
    )  # fmt: skip
    assert done["pipeline_version"] and done["finished_at"]
    results = all_results(client, auth, job["id"], limit=3)
    assert [r["id"] for r in results] == [f"c{i}" for i in range(19)] + ["bad"]
    assert results[0]["dept"] == "営業" and results[0]["sentiment"]
    assert results[-1]["error"]["code"] == "empty_text"
    report = client.get(f"/v1/jobs/{job['id']}/report", headers=auth).json()
    assert (report["total"]["n"], report["excluded_errors"]) == (19, 1)


def test_jobs_pagination_is_stable_while_running(
    client: TestClient, auth: dict[str, str], comments: Comments, engine: Engine
) -> None:
    from service.analysis import load_analyzer
    from service.storage import WorkQueue
    from service.worker import Worker

    job = create(client, auth, {"comments": comments(21)}).json()
    state = client.app_state["koe"]
    worker = Worker(WorkQueue(engine), state.analyzer or load_analyzer(state.settings),
                    state.settings, "t")  # fmt: skip
    # finish the second chunk (7..13) before the first: page must not skip 0..6
    with engine.begin() as conn:
        conn.execute(text("UPDATE chunks SET lease_until = 9e12 WHERE first_seq = 0"))
    assert worker.run_once()
    page = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()
    assert page["data"] == [] and page["next_cursor"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE chunks SET lease_until = 0 WHERE first_seq = 0"))
    worker.run_until_idle()
    first = client.get(f"/v1/jobs/{job['id']}/results?limit=10", headers=auth).json()
    assert [r["id"] for r in first["data"]] == [f"c{i}" for i in range(10)]
    params = {"cursor": first["next_cursor"], "limit": 100}
    rest = client.get(f"/v1/jobs/{job['id']}/results", params=params, headers=auth).json()
    assert [r["id"] for r in rest["data"]] == [f"c{i}" for i in range(10, 21)]
    assert rest["next_cursor"] is None


def test_jobs_invalid_cursor(client: TestClient, auth: dict[str, str], comments: Comments) -> None:
    job = create(client, auth, {"comments": comments(1)}).json()
    for cursor in ("nope", "djE6eA", "!!!", "djE6LTU"):  # garbage, "v1:x", bad base64, "v1:-5"
        response = client.get(f"/v1/jobs/{job['id']}/results?cursor={cursor}", headers=auth)
        assert response.status_code == 422 and response.json()["code"] == "invalid_cursor"


def test_jobs_cursor_is_small_and_ascii_digits(
    client: TestClient, auth: dict[str, str], comments: Comments
) -> None:
    job = create(client, auth, {"comments": comments(1)}).json()
    for raw in ("v1:9223372036854775808", f"v1:{2**62}", "v1: 1", "v1:1 ", "v1:+1", "v1:1_0",
                "v1:\u0661", "v1:\uff11", "v1:-0"):  # fmt: skip
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        response = client.get(f"/v1/jobs/{job['id']}/results?cursor={cursor}", headers=auth)
        assert response.status_code == 422, (raw, response.text)
        assert response.json()["code"] == "invalid_cursor"
    for raw in ("v1:-1", f"v1:{2**62 - 1}"):  # -1: the cursor of a page before any result
        cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        response = client.get(f"/v1/jobs/{job['id']}/results?cursor={cursor}", headers=auth)
        assert response.status_code == 200, (raw, response.text)


def test_jobs_results_of_a_job_deleted_meanwhile(
    client: TestClient, auth: dict[str, str], comments: Comments
) -> None:
    from service.api.deps import get_store

    job = create(client, auth, {"comments": comments(2)}).json()
    store = client.app_state["koe"].jobs

    class DeletedBetweenReads:  # the DELETE lands after the route found the job
        def get(self, *args: Any) -> Any:
            return store.get(*args)

        def results_page(self, tenant_id: int, job_id: str, *args: Any) -> Any:
            store.delete(tenant_id, job_id)
            return store.results_page(tenant_id, job_id, *args)

    client.app.dependency_overrides[get_store] = DeletedBetweenReads
    response = client.get(f"/v1/jobs/{job['id']}/results", headers=auth)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_jobs_idempotency(client: TestClient, auth: dict[str, str], comments: Comments) -> None:
    body = {"comments": comments(5)}
    first = create(client, auth, body, **{"Idempotency-Key": "abc"})
    again = create(client, auth, body, **{"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    other = create(client, auth, body, **{"Idempotency-Key": "def"})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    no_key = [create(client, auth, body).json()["id"] for _ in range(2)]
    assert no_key[0] != no_key[1]
    conflict = client.post("/v1/jobs", json={"comments": comments(6)},
                           headers=auth | {"Idempotency-Key": "abc"})  # fmt: skip
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"


def test_jobs_idempotency_keys_are_per_tenant(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str], comments: Comments
) -> None:
    mine = create(client, auth, {"comments": comments(2)}, **{"Idempotency-Key": "k"})
    theirs = create(client, other_auth, {"comments": comments(3)}, **{"Idempotency-Key": "k"})
    assert theirs.status_code == 202 and theirs.json()["id"] != mine.json()["id"]


def test_jobs_tenant_isolation(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str], comments: Comments,
    run_jobs: RunJobs,
) -> None:  # fmt: skip
    job = create(client, auth, {"comments": comments(10, dept="A")}).json()
    run_jobs(client)
    for method, path in [("get", ""), ("get", "/results"), ("get", "/report"), ("delete", "")]:
        response = client.request(method, f"/v1/jobs/{job['id']}{path}", headers=other_auth)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth).status_code == 200


def test_jobs_delete_really_deletes(
    client: TestClient, auth: dict[str, str], comments: Comments, run_jobs: RunJobs,
    engine: Engine, settings: Any,
) -> None:  # fmt: skip
    keep = create(client, auth, {"comments": comments(3)}).json()
    job = create(client, auth, {"comments": comments(10, dept="機密部署")}).json()
    run_jobs(client)
    assert client.delete(f"/v1/jobs/{job['id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth).status_code == 404
    assert client.delete(f"/v1/jobs/{job['id']}", headers=auth).status_code == 404
    with engine.connect() as conn:
        for table in TABLES:
            column = "id" if table == "jobs" else "job_id"
            gone = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :j"),
                                {"j": job["id"]}).scalar()  # fmt: skip
            kept = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :j"),
                                {"j": keep["id"]}).scalar()  # fmt: skip
            assert gone == 0 and kept > 0, table
    assert "機密部署".encode() not in _database_bytes(settings)


def test_jobs_raw_text_is_wiped_once_analysed(
    client: TestClient, auth: dict[str, str], run_jobs: RunJobs, engine: Engine, settings: Any
) -> None:
    secret = "田中課長の残業命令がひどい内緒話XYZ"
    create(client, auth, {"comments": [{"id": "s", "text": secret}] * 9})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM comments WHERE text IS NOT NULL")).scalar()
    run_jobs(client)
    with engine.connect() as conn:
        assert conn.execute(text(RAW_LEFT)).scalar() == 0
        stored = " ".join(r[0] for r in conn.execute(text("SELECT data FROM results")))
    assert secret not in stored and "内緒話XYZ" in stored  # redacted text only
    stored_bytes = _database_bytes(settings)
    assert "内緒話XYZ".encode() in stored_bytes  # the scan does see stored text
    assert secret.encode() not in stored_bytes


def test_jobs_keep_raw_text_setting(
    make_client: Any, comments: Comments, run_jobs: RunJobs
) -> None:
    with make_client(keep_raw_text=True) as client:
        state = client.app_state["koe"]
        from service.storage import KeyStore

        key, _ = KeyStore(state.engine).create("acme")
        auth = {"Authorization": f"Bearer {key}"}
        create(client, auth, {"comments": comments(3)})
        run_jobs(client)
        with state.engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM comments WHERE text IS NOT NULL"))
            assert kept.scalar() == 3


def test_jobs_upload_cp932_csv(client: TestClient, auth: dict[str, str], run_jobs: RunJobs) -> None:
    csv_text = "社員番号,部署,コメント\r\n1,営業,残業が多い\r\n2,開発,上司が良い\r\n3,営業,\r\n"
    files = {"file": ("survey.csv", csv_text.encode("cp932"), "text/csv")}
    data = {"text_column": "コメント", "id_column": "社員番号", "group_columns": "部署"}
    response = client.post("/v1/jobs", files=files, data=data, headers=auth)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["total"] == 3 and job["group_columns"] == ["部署"]
    replay = client.post("/v1/jobs", files=files, data=data,
                         headers=auth | {"Idempotency-Key": "u1"})  # fmt: skip
    again = client.post("/v1/jobs", files=files, data=data,
                        headers=auth | {"Idempotency-Key": "u1"})  # fmt: skip
    assert replay.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == replay.json()["id"]
    changed = {"file": ("survey.csv", csv_text.replace("良い", "悪い").encode("cp932"))}
    conflict = client.post("/v1/jobs", files=changed, data=data,
                           headers=auth | {"Idempotency-Key": "u1"})  # fmt: skip
    assert conflict.status_code == 409
    run_jobs(client)
    results = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()["data"]
    assert [(r["id"], r["部署"]) for r in results] == [("1", "営業"), ("2", "開発"), ("3", "営業")]
    assert results[2]["error"]["code"] == "empty_text"


def test_jobs_upload_json_body(client: TestClient, auth: dict[str, str], run_jobs: RunJobs) -> None:
    comments = [
        {"id": "a", "text": "残業が多い", "attributes": {"dept": "営業"}},
        3,
        {"id": "c", "text": "良い", "pack": "nope"},
    ]
    files = {"file": ("saved.json", json.dumps({"comments": comments}).encode())}
    response = client.post("/v1/jobs", files=files, data={"group_columns": "dept"}, headers=auth)
    assert response.status_code == 202, response.text
    run_jobs(client)
    results = client.get(f"/v1/jobs/{response.json()['id']}/results", headers=auth).json()["data"]
    assert [(r["id"], r.get("dept")) for r in results] == [("a", "営業"), ("2", None), ("c", None)]
    assert results[0]["error"] is None and results[1]["error"]["code"] == "invalid_json"
    assert results[2]["error"]["code"] == "unknown_pack"
    assert "available packs: customer, employee" in results[2]["error"]["message"]


def test_jobs_upload_errors(client: TestClient, auth: dict[str, str]) -> None:
    cases = [
        ({"file": ("a.csv", b"id,body\r\n1,x\r\n")}, {}, "missing_column"),
        ({"file": ("a.csv", b"\xff\xfe\x00garbage\x81\x82")}, {}, None),
        ({"file": ("a.xlsx", b"PK\x03\x04not a zip")}, {}, None),
        ({"file": ("a.json", b'[{"text": "x"},')}, {}, None),
        ({"file": ("a.jsonl", b'{"text": "x"}\n')}, {"pack": "/etc/passwd"}, "unknown_pack"),
        ({"file": ("a.csv", b"id,text\r\n1,x\r\n")}, {"group_columns": "error"},
         "invalid_group_columns"),
        ({"file": ("a.csv", b"respondent_id,text\r\nR-1,x\r\n")}, {"id_column": "respondent"},
         "missing_column"),
    ]  # fmt: skip
    for files, data, code in cases:
        response = client.post("/v1/jobs", files=files, data=data, headers=auth)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        if code:
            assert response.json()["code"] == code
    no_file = client.post("/v1/jobs", data={"pack": "employee"}, files={"x": ("a", b"")},
                          headers=auth)  # fmt: skip
    assert no_file.status_code == 422 and no_file.json()["code"] == "missing_file"
    # curl -F 'file=<survey.csv' sends the file as a plain field, without a filename
    as_field = client.post("/v1/jobs", data={"file": "id,text\r\n1,x\r\n"},
                           files={"x": ("a", b"")}, headers=auth)  # fmt: skip
    assert as_field.status_code == 422 and as_field.json()["code"] == "missing_file"
    assert "must be a file upload" in as_field.json()["detail"]
    assert "curl -F 'file=@survey.csv'" in as_field.json()["detail"]


def test_jobs_upload_named_id_column_must_exist(client: TestClient, auth: dict[str, str]) -> None:
    files = {"file": ("s.csv", "respondent_id,text\r\nR-901,残業が多い\r\n".encode())}
    response = client.post("/v1/jobs", files=files, data={"id_column": "respondent"},
                           headers=auth)  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == "missing_column"
    assert "columns present: respondent_id, text" in response.json()["detail"]


def test_jobs_upload_long_cell_is_a_row_error(
    client: TestClient, auth: dict[str, str], run_jobs: RunJobs
) -> None:
    rows = "".join(f"{i},残業が多い\r\n" for i in range(1, 4)) + "4," + "あ" * 10_001 + "\r\n"
    files = {"file": ("survey.csv", ("id,text\r\n" + rows).encode())}
    response = client.post("/v1/jobs", files=files, headers=auth)
    assert response.status_code == 202, response.text
    run_jobs(client)
    results = client.get(f"/v1/jobs/{response.json()['id']}/results", headers=auth).json()["data"]
    assert [r["error"] for r in results[:3]] == [None] * 3 and results[0]["sentiment"]
    assert results[3]["id"] == "4" and results[3]["error"]["code"] == "text_too_long"
    assert "10,001" in results[3]["error"]["message"]
    assert "10,000" in results[3]["error"]["message"]


def test_jobs_upload_lone_surrogates_are_row_errors(
    client: TestClient, auth: dict[str, str], run_jobs: RunJobs
) -> None:
    uploads = [
        ("a.jsonl", b'{"id": "x", "text": "\\ud800 ok"}\n{"id": "y", "text": "fine"}\n'),
        ("a.json", b'[{"id": "x", "text": "ok", "dept": "\\udc00"}, {"id": "y", "text": "fine"}]'),
    ]
    for name, data in uploads:
        response = client.post("/v1/jobs", files={"file": (name, data)}, headers=auth)
        assert response.status_code == 202, (name, response.text)
        run_jobs(client)
        job_id = response.json()["id"]
        bad, good = client.get(f"/v1/jobs/{job_id}/results", headers=auth).json()["data"]
        assert bad["id"] == "x" and bad["error"]["code"] == "invalid_json", name
        assert "lone surrogate" in bad["error"]["message"]
        assert good["id"] == "y" and good["error"] is None and good["sentiment"]


def test_jobs_json_body_with_utf8_bom(client: TestClient, auth: dict[str, str]) -> None:
    body = "\ufeff" + json.dumps({"comments": [{"text": "残業"}]}, ensure_ascii=False)
    headers = auth | {"Content-Type": "application/json"}
    for path in ("/v1/analyses", "/v1/jobs"):
        response = client.post(path, content=body.encode(), headers=headers)
        assert response.status_code in (200, 202), (path, response.text)


def test_jobs_upload_api_body_keeps_pack_and_group_columns(
    client: TestClient, auth: dict[str, str], run_jobs: RunJobs
) -> None:
    comments = [{"id": f"r{i}", "text": "配送は早かったけど、梱包が雑でした。",
                 "attributes": {"dept": "AB"[i % 2], "wave": "w1"}} for i in range(12)]  # fmt: skip
    body = {"pack": "customer", "group_columns": ["dept"], "comments": comments}

    def upload(document: dict[str, Any], **form: str) -> dict[str, Any]:
        files = {"file": ("body.json", json.dumps(document, ensure_ascii=False).encode())}
        response = client.post("/v1/jobs", files=files, data=form, headers=auth)
        assert response.status_code == 202, response.text
        return response.json()

    job = upload(body)
    assert (job["pack"], job["group_columns"]) == ("customer", ["dept"])
    run_jobs(client)
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()["data"]
    assert {r["pack"] for r in rows} == {"customer"}
    report = client.get(f"/v1/jobs/{job['id']}/report?group_by=dept", headers=auth)
    assert report.status_code == 200, report.text
    # the form wins, for the rows too; without group_columns anywhere: every attribute key
    job = upload({**body, "group_columns": None}, pack="employee")
    assert (job["pack"], job["group_columns"]) == ("employee", ["dept", "wave"])
    run_jobs(client)
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()["data"]
    assert {r["pack"] for r in rows} == {"employee"}
    assert upload(body, group_columns="wave")["group_columns"] == ["wave"]
    many = [{"text": "x", "attributes": {k: "v" for k in "abcde"}}, 7]  # limit is 4
    files = {"file": ("body.json", json.dumps({"comments": many}).encode())}
    response = client.post("/v1/jobs", files=files, headers=auth)
    assert response.status_code == 422 and response.json()["code"] == "invalid_group_columns"


def test_jobs_batch_limit(make_client: Any, comments: Comments) -> None:
    with make_client(max_job_comments=5) as client:
        from service.storage import KeyStore

        key, _ = KeyStore(client.app_state["koe"].engine).create("acme")
        auth = {"Authorization": f"Bearer {key}"}
        response = client.post("/v1/jobs", json={"comments": comments(6)}, headers=auth)
        assert response.status_code == 413 and "5" in response.json()["detail"]
        upload = {"file": ("a.csv", ("id,text\r\n" + "1,x\r\n" * 6).encode())}
        response = client.post("/v1/jobs", files=upload, headers=auth)
        assert response.status_code == 413 and response.json()["code"] == "batch_too_large"
        # counted before the whole body is parsed: the broken tail is never read
        body = b'{"comments": [' + b'{"text": "x"}, ' * 6 + b"broken"
        repeated = b'{"comments": [], "comments": [' + b'{"text": "x"}, ' * 6 + b"broken"
        json_headers = {**auth, "Content-Type": "application/json"}
        for request in (
            {"content": body, "headers": json_headers},
            {"content": repeated, "headers": json_headers},  # the parse keeps the last
            {"files": {"file": ("a.json", body[13:])}, "headers": auth},  # the array alone
        ):
            response = client.post("/v1/jobs", **request)
            assert response.status_code == 413, response.text
            assert response.json()["detail"].startswith("more than 5 comments")


def test_jobs_attribute_limit(make_client: Any) -> None:
    with make_client(max_job_attributes=4) as client:
        from service.storage import KeyStore

        key, _ = KeyStore(client.app_state["koe"].engine).create("acme")
        auth = {"Authorization": f"Bearer {key}"}
        fits = [{"text": "x", "attributes": {"dept": "営業", "wave": "1"}}] * 2
        body = {"comments": fits, "group_columns": ["dept"]}
        assert client.post("/v1/jobs", json=body, headers=auth).status_code == 202
        body["comments"] = [*fits, {"text": "y", "attributes": {"dept": "開発"}}]
        jsonl = "".join(json.dumps({"text": "x", "a": 1, "b": 2}) + "\n" for _ in range(3))
        for request in (
            {"json": body},
            {"files": {"file": ("a.json", json.dumps(body).encode())}},
            {"files": {"file": ("a.jsonl", jsonl.encode())}},  # other fields are attributes
        ):
            response = client.post("/v1/jobs", **request, headers=auth)
            assert response.status_code == 413, response.text
            assert "more than 4 attribute values" in response.json()["detail"]


def test_jobs_reserved_attribute(client: TestClient, auth: dict[str, str]) -> None:
    body = {"comments": [{"text": "y"}, {"text": "x", "attributes": {"sentiment": "fake"}}]}
    for path in ("/v1/jobs", "/v1/analyses"):
        response = client.post(path, json=body, headers=auth)
        assert response.status_code == 422 and response.json()["code"] == "reserved_attribute"
        assert response.json()["detail"].startswith("comment 2 (id '2') has attribute")


def _database_bytes(settings: Any) -> bytes:
    """The database file and its WAL as bytes (after a checkpoint)."""
    from service.storage import checkpoint, create_db_engine

    checkpoint(create_db_engine(settings.database_url))
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def test_jobs_result_json_is_valid(
    client: TestClient, auth: dict[str, str], comments: Comments, run_jobs: RunJobs
) -> None:
    job = create(client, auth, {"comments": comments(2)}).json()
    run_jobs(client)
    raw = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).content
    assert json.loads(raw)["count"] == 2
