"""Load test of the koe API on loopback: sync latency under concurrency and job throughput.

Starts ``koe serve`` on a free 127.0.0.1 port with a temporary database (or uses
``--url``/``--key`` of a server already running on loopback; other hosts are refused),
then measures:

* p50/p90/p99 latency and errors of ``POST /v1/analyses`` with 1 and 20 comments, with
  ``--concurrency`` async clients sending back to back for ``--duration`` seconds;
* comments/s of one ``--job-size`` comment job (submit → succeeded).

Example::

    python scripts/loadtest.py --output out/loadtest.json
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["is_loopback_url", "main", "run_loadtest"]

TEXTS = [
    "残業が多すぎて疲れました。人を増やしてほしいです",
    "上司のサポートがとても良く、働きやすい職場です",
    "給料が低いわりに業務量が多いと感じます",
    "研修制度は充実しているが、評価の基準が分かりにくい",
]
TARGETS = {"p99_ms_single": 150.0, "errors": 0, "job_comments_per_s": 1500.0}


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def comments(n: int, offset: int = 0) -> list[dict[str, Any]]:
    """``n`` synthetic comments with dept/wave attributes."""
    return [
        {"id": f"c{i}", "text": f"{TEXTS[i % len(TEXTS)]}{i}",
         "attributes": {"dept": f"d{i % 7}", "wave": f"w{i % 2}"}}
        for i in range(offset, offset + n)
    ]  # fmt: skip


async def _client_loop(
    client: httpx.AsyncClient, body: dict[str, Any], until: float, latencies: list[float],
    errors: list[str],
) -> None:  # fmt: skip
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            response = await client.post("/v1/analyses", json=body)
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}")
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
        latencies.append(time.perf_counter() - started)


async def measure_sync(
    url: str, key: str, batch: int, concurrency: int, duration: float
) -> dict[str, Any]:
    """Latency percentiles of ``POST /v1/analyses`` with ``batch`` comments per request.

    Each of the ``concurrency`` virtual clients has its own connection (one
    ``AsyncClient`` each), as separate integrations would; one shared pool of 50
    connections costs httpx several times more CPU per request on this side.
    """
    headers = {"Authorization": f"Bearer {key}"}
    body = {"pack": "employee", "comments": comments(batch)}
    latencies: list[float] = []
    errors: list[str] = []
    clients = [
        httpx.AsyncClient(base_url=url, headers=headers, timeout=30) for _ in range(concurrency)
    ]
    try:
        await asyncio.gather(*(c.post("/v1/analyses", json=body) for c in clients))  # warm up
        until = time.perf_counter() + duration
        await asyncio.gather(*(
            _client_loop(client, body, until, latencies, errors) for client in clients
        ))  # fmt: skip
    finally:
        for client in clients:
            await client.aclose()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "comments_per_request": batch, "concurrency": concurrency, "duration_s": duration,
        "requests": len(ordered), "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "requests_per_s": round(len(ordered) / duration, 1),
        "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(ordered), 2) if ordered else None,
    }  # fmt: skip


def measure_job(url: str, key: str, size: int, timeout: float = 600) -> dict[str, Any]:
    """Submit one job of ``size`` comments and time it until it succeeds."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        created = client.post("/v1/jobs", json={"pack": "employee", "comments": comments(size)})
        created.raise_for_status()
        submitted = time.perf_counter()
        job_id = created.json()["id"]
        while True:
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in ("succeeded", "failed") or time.perf_counter() - started > timeout:
                break
            time.sleep(0.05)
        done = time.perf_counter()
        client.delete(f"/v1/jobs/{job_id}")
    return {
        "comments": size, "status": job["status"], "errors": job["errors"],
        "submit_s": round(submitted - started, 3), "total_s": round(done - started, 3),
        "comments_per_s": round(size / (done - started), 1),
        "processing_comments_per_s": round(size / max(done - submitted, 1e-9), 1),
    }  # fmt: skip


def run_loadtest(
    url: str, key: str, *, duration: float = 30, concurrency: int = 50, job_size: int = 10_000
) -> dict[str, Any]:
    """Run every measurement against a loopback server; return the results as a dict."""
    if not is_loopback_url(url):
        raise ValueError(f"refusing to load-test {url}: only loopback addresses are allowed")
    single = asyncio.run(measure_sync(url, key, 1, concurrency, duration))
    batch = asyncio.run(measure_sync(url, key, 20, concurrency, duration))
    job = measure_job(url, key, job_size)
    passed = {
        "p99_single": single["p99_ms"] < TARGETS["p99_ms_single"],
        "no_errors": single["errors"] == batch["errors"] == 0 and job["status"] == "succeeded",
        "job_throughput": job["comments_per_s"] >= TARGETS["job_comments_per_s"],
    }
    return {"url": url, "targets": TARGETS, "sync_1": single, "sync_20": batch, "job": job,
            "passed": passed, "cpu_count": os.cpu_count()}  # fmt: skip


@contextmanager
def local_server(workers: int, http_workers: int = 1) -> Iterator[tuple[str, str]]:
    """Start ``koe serve`` on a free loopback port with a temporary database."""
    with tempfile.TemporaryDirectory(prefix="koe-loadtest-") as directory:
        env = dict(os.environ)  # KOE_PIPELINE_CONFIG etc. pass through
        env["KOE_DATABASE_URL"] = f"sqlite:///{Path(directory) / 'koe.db'}"
        koe = [sys.executable, "-c", "from service.cli import main; main()"]
        created = subprocess.run([*koe, "keys", "create", "--tenant", "loadtest"], env=env,
                                 capture_output=True, text=True, check=True)  # fmt: skip
        key = created.stdout.strip().splitlines()[-1]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = open(Path(directory) / "server.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(
            [*koe, "serve", "--port", str(port), "--workers", str(workers),
             "--http-workers", str(http_workers)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, server)
            yield url, key
        finally:
            server.terminate()
            server.wait(30)
            log.close()


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("koe serve exited during startup")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("koe serve did not become ready")


def _table(results: dict[str, Any]) -> str:
    rows = [("scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms")]
    for name in ("sync_1", "sync_20"):
        r = results[name]
        rows.append((f"POST /v1/analyses ×{r['comments_per_request']} @{r['concurrency']}",
                     str(r["requests"]), str(r["errors"]), str(r["requests_per_s"]),
                     str(r["p50_ms"]), str(r["p99_ms"])))  # fmt: skip
    job = results["job"]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"job {job['comments']:,} comments: {job['status']} in {job['total_s']} s "
                 f"= {job['comments_per_s']:,} comments/s (after upload: "
                 f"{job['processing_comments_per_s']:,}/s)")  # fmt: skip
    lines.append("targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}"
                                         for k, v in results["passed"].items()))  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="loopback URL of a running server (default: start one)")
    parser.add_argument("--key", help="API key for --url")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--job-size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="job workers of a started server")
    parser.add_argument("--http-workers", type=int, default=1,
                        help="HTTP processes of a started server")  # fmt: skip
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    if args.url and not is_loopback_url(args.url):
        parser.error(f"refusing {args.url}: only loopback addresses (127.0.0.0/8, ::1) allowed")
    if args.url and not args.key:
        parser.error("--url needs --key")
    options = {"duration": args.duration, "concurrency": args.concurrency,
               "job_size": args.job_size}  # fmt: skip
    if args.url:
        results = run_loadtest(args.url, args.key, **options)
    else:
        with local_server(args.workers, args.http_workers) as (url, key):
            results = run_loadtest(url, key, **options) | {
                "server": {"job_workers": args.workers, "http_workers": args.http_workers}
            }
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(_table(results))
    return 0 if all(results["passed"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
