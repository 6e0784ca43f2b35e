"""``scripts/loadtest.py``: loopback only, and a short smoke run writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "loadtest.py"


@pytest.fixture(scope="module")
def loadtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("koe_loadtest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# fmt: off
@pytest.mark.parametrize(("url", "ok"), [
    ("http://127.0.0.1:8000", True),
    ("http://127.3.4.5:1", True),
    ("http://localhost:8000", True),
    ("http://[::1]:8000", True),
    ("http://10.0.0.5:8000", False),
    ("http://192.168.1.2", False),
    ("https://example.com", False),
    ("http://0.0.0.0:8000", False),
    ("not a url", False),
])
# fmt: on
def test_loadtest_loopback_only(loadtest: ModuleType, url: str, ok: bool) -> None:
    assert loadtest.is_loopback_url(url) is ok


def test_loadtest_refuses_remote_targets(loadtest: ModuleType) -> None:
    with pytest.raises(SystemExit) as exc:
        loadtest.main(["--url", "http://10.1.2.3:8000", "--key", "x"])
    assert exc.value.code == 2
    with pytest.raises(ValueError, match="loopback"):
        loadtest.run_loadtest("http://203.0.113.9:80", "x", duration=0.1)


def test_loadtest_smoke(loadtest: ModuleType, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    args = ["--duration", "1", "--concurrency", "4", "--job-size", "40", "--workers", "1"]
    loadtest.main([*args, "--output", str(output)])
    results = json.loads(output.read_text())
    assert results["sync_1"]["requests"] > 0 and results["sync_1"]["errors"] == 0
    assert results["sync_20"]["comments_per_request"] == 20
    assert results["job"]["status"] == "succeeded" and results["job"]["comments"] == 40
    assert set(results["passed"]) == {"p99_single", "no_errors", "job_throughput"}
