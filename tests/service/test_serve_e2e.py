"""End to end: ``koe serve`` as a real process on a loopback port, driven with httpx.

Includes the durability test: SIGKILL the server (and its workers) in the middle of a
10,000-comment job, start it again on the same database, and check that every comment
is analysed exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

KOE = [sys.executable, "-c", "from service.cli import main; main()"]


class Server:
    """A ``koe serve`` process group with its environment and log."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.env = env
        self.log = tmp_path / "server.log"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, workers: int = 1, http_workers: int = 1) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*KOE, "serve", "--port", str(self.port), "--workers", str(workers),
                 "--http-workers", str(http_workers)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        # Every HTTP worker loads its own pipeline: wait until a run of fresh connections
        # (spread over the workers by the kernel) all answer ready.
        deadline, ready_in_a_row = time.monotonic() + 90, 0
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                ok = httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                ok = False
            ready_in_a_row = ready_in_a_row + 1 if ok else 0
            if ready_in_a_row >= 10 * http_workers:
                return
            time.sleep(0.05 if ok else 0.1)
        raise AssertionError("server not ready:\n" + self.log.read_text())

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)  # the server and its worker processes
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill(signal.SIGTERM)


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOE_")}
    env |= {
        "KOE_DATABASE_URL": f"sqlite:///{tmp_path / 'koe.db'}",
        "KOE_LEASE_SECONDS": "3",
        "KOE_POLL_SECONDS": "0.05",
    }
    return env


@pytest.fixture
def server(tmp_path: Path, server_env: dict[str, str]) -> Iterator[Server]:
    server = Server(tmp_path, server_env)
    try:
        yield server
    finally:
        server.stop()


def create_key(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run([*KOE, "keys", "create", "--tenant", "acme"], env=env,
                          capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    return {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}


def wait_job(client: httpx.Client, job_id: str, until: float = 120) -> dict:
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job not finished: {job}")


def test_e2e_serve(server: Server, server_env: dict[str, str]) -> None:
    headers = create_key(server_env)
    server.start(workers=1, http_workers=2)
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        sync = client.post("/v1/analyses", json={"comments": [{"text": "給料が低い"}]})
        assert sync.status_code == 200 and sync.json()["count"] == 1
        comments = [{"id": f"c{i}", "text": "上司が良い", "attributes": {"dept": f"d{i % 3}"}}
                    for i in range(450)]  # fmt: skip
        created = client.post("/v1/jobs", json={"comments": comments})
        assert created.status_code == 202
        job = wait_job(client, created.json()["id"])
        assert (job["status"], job["processed"]) == ("succeeded", 450)
        page = client.get(f"/v1/jobs/{job['id']}/results", params={"limit": 1000}).json()
        assert [r["id"] for r in page["data"]] == [c["id"] for c in comments]
        report = client.get(f"/v1/jobs/{job['id']}/report", params={"group_by": "dept"})
        assert [g["n"] for g in report.json()["groups"]] == [150, 150, 150]
        assert "koe_jobs" in client.get("/metrics").text
        assert client.get("/nope").headers["content-type"] == "application/problem+json"


def test_e2e_separate_worker_processes(
    server: Server, server_env: dict[str, str], tmp_path: Path
) -> None:
    headers = create_key(server_env)
    server.start(workers=0)  # the API alone: jobs wait for `koe worker`
    comments = [{"id": f"c{i}", "text": "給料が低い"} for i in range(500)]
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        job_id = client.post("/v1/jobs", json={"comments": comments}).json()["id"]
        time.sleep(0.5)
        assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"
        with (tmp_path / "worker.log").open("wb") as log:
            workers = [
                subprocess.Popen([*KOE, "worker", "--name", f"w{i}"], env=server_env,
                                 stdout=log, stderr=subprocess.STDOUT)
                for i in range(2)
            ]  # fmt: skip
        try:
            job = wait_job(client, job_id)
        finally:
            for worker in workers:
                worker.terminate()
            codes = [worker.wait(30) for worker in workers]
    assert (job["status"], job["processed"]) == ("succeeded", 500)
    assert codes == [0, 0], (tmp_path / "worker.log").read_text()


def test_e2e_sigkill_mid_job_completes_exactly_once(
    server: Server, server_env: dict[str, str]
) -> None:
    headers = create_key(server_env)
    server.start(workers=1)
    n = 10_000
    comments = [{"id": f"c{i}", "text": f"残業が多いが上司は良い{i}"} for i in range(n)]
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        job_id = client.post("/v1/jobs", json={"comments": comments}).json()["id"]
        deadline = time.monotonic() + 120
        while client.get(f"/v1/jobs/{job_id}").json()["processed"] < n // 10:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    server.kill()  # SIGKILL: no shutdown, leases left behind
    engine = create_engine(server_env["KOE_DATABASE_URL"])
    with engine.connect() as conn:
        processed = conn.execute(text("SELECT processed FROM jobs")).scalar()
        leased = conn.execute(text("SELECT count(*) FROM chunks WHERE status = 'claimed'"))
        in_flight = leased.scalar()
    assert processed < n, "the job finished before the kill; nothing was tested"

    server.start(workers=1)
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        job = wait_job(client, job_id)
        assert (job["status"], job["processed"], job["errors"]) == ("succeeded", n, 0)
        ids: list[str] = []
        cursor = None
        while True:
            params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
            page = client.get(f"/v1/jobs/{job_id}/results", params=params).json()
            ids += [r["id"] for r in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert ids == [c["id"] for c in comments]
    with engine.connect() as conn:
        rows, distinct = conn.execute(
            text("SELECT count(*), count(DISTINCT seq) FROM results WHERE job_id = :j"),
            {"j": job_id},
        ).one()
        raw = conn.execute(text("SELECT count(*) FROM comments WHERE text IS NOT NULL")).scalar()
        retried = conn.execute(text("SELECT count(*) FROM chunks WHERE attempts > 1")).scalar()
    engine.dispose()
    assert (rows, distinct, raw) == (n, n, 0)
    assert retried >= in_flight  # chunks leased at the kill were claimed again


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
