"""``koe serve``: the HTTP API with its job worker processes, and ``koe worker``."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Annotated, Any

import typer

from service.cli._app import app, load_settings, open_database

__all__ = ["serve_command", "worker_command"]


@app.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Interface (default KOE_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KOE_PORT or 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Job worker processes (default KOE_WORKERS or 1).")
    ] = None,
    http_workers: Annotated[
        int, typer.Option(min=1, max=64, help="HTTP server processes (each loads the models).")
    ] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the API (docs at /docs); models load once per process, /readyz says when."""
    import uvicorn

    from service.app import create_app

    settings = load_settings(host=host, port=port, workers=workers)
    _configure_logging()
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "access_log": access_log,
        "log_level": "info", "timeout_graceful_shutdown": 10,
    }  # fmt: skip
    if http_workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Several HTTP processes: job workers belong to this supervisor, not to each of them.
    from service.worker import WorkerPool

    pool = WorkerPool(settings)
    pool.start()
    stop = threading.Event()
    threading.Thread(target=_supervise, args=(pool, stop), daemon=True).start()
    os.environ.update(_environment(settings) | {"KOE_WORKERS": "0"})
    try:
        uvicorn.run("service.app:create_app", factory=True, workers=http_workers, **options)
    finally:
        stop.set()
        pool.stop()


@app.command("worker")
def worker_command(
    name: Annotated[str | None, typer.Option(help="Worker name shown on its claims.")] = None,
) -> None:
    """Run one job worker next to a server (any number may share the database)."""
    from service.worker import run_worker_process

    settings = load_settings()
    open_database(settings).dispose()  # an unusable database is a one-line error here
    _configure_logging()
    label = name or f"{socket.gethostname()}:{os.getpid()}"
    run_worker_process(settings.model_dump(mode="json"), label, None)


def _supervise(pool: Any, stop: threading.Event, every: float = 5.0) -> None:
    while not stop.wait(every):
        pool.restart_dead()


def _environment(settings: Any) -> dict[str, str]:
    """``KOE_*`` variables reproducing ``settings`` in child processes."""
    values = settings.model_dump(mode="json")
    return {
        f"KOE_{name.upper()}": str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in values.items()
        if value is not None
    }


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
