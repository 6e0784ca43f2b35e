"""``koe analyze``: comments in (CSV/JSONL/JSON/xlsx/stdin), one JSON object or CSV row out each.

The output contract is used by survey-platform integrations: keep it stable.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from service.cli._app import app, fail, user_errors

__all__ = ["analyze_command"]

OutputFormat = Literal["jsonl", "csv"]
Profile = Literal["fast", "standard", "accurate"]


@app.command("analyze")
def analyze_command(
    input: Annotated[str, typer.Argument(help="CSV, JSONL, JSON or XLSX file, or - for stdin.")],
    pack: Annotated[
        str | None,
        typer.Option(help="Theme pack id or pack .yaml path (default: --config's, or employee)."),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column holding the comment.")] = "text",
    id_column: Annotated[str, typer.Option(help="Column holding the comment id.")] = "id",
    group_columns: Annotated[
        str, typer.Option(help="Comma-separated columns to pass through, e.g. dept,wave.")
    ] = "",
    output: Annotated[str, typer.Option("-o", "--output", help="Output file or -.")] = "-",
    format: Annotated[
        OutputFormat | None, typer.Option("--format", help="jsonl or csv (default: by suffix).")
    ] = None,
    profile: Annotated[
        Profile | None,
        typer.Option(
            help="fast (lexicon), standard (+ linear model) or accurate (+ transformer "
            "encoder, the default)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="Pipeline config TOML (see configs/standard.toml); wins over --profile."),
    ] = None,
    pii_terms: Annotated[
        str, typer.Option(help="Comma-separated extra terms to redact (sites, teams).")
    ] = "",
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0 = one per CPU).")] = 1,
) -> None:
    """Analyse comments: sentiment, themes, intent, alerts, PII redaction."""
    from concurrent.futures.process import BrokenProcessPool

    with user_errors(input), _sigterm_interrupts():
        try:
            _run(input, pack, text_column, id_column, group_columns, output, format, profile,
                 config, pii_terms, workers)  # fmt: skip
        except BrokenPipeError:  # -o - | head: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except KeyboardInterrupt:
            typer.echo(f"koe: interrupted{_not_written(output)}", err=True)
            raise typer.Exit(130) from None
        except BrokenProcessPool:
            raise fail(
                f"a worker process died (killed, or out of memory?){_not_written(output)}"
            ) from None


def _not_written(output: str) -> str:
    return "" if output == "-" else f"; {output} was not written"


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C does (workers ended, no partial output)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(
    input: str,
    pack: str | None,
    text_column: str,
    id_column: str,
    group_columns: str,
    output: str,
    fmt: OutputFormat | None,
    profile: Profile | None,
    config_path: Path | None,
    pii_terms: str,
    workers: int,
) -> None:
    from nlp.errors import FeedbackError
    from nlp.io import read_records
    from nlp.output import open_output, write_csv, write_jsonl
    from nlp.parallel import analyze_stream, default_workers
    from nlp.pipeline import Pipeline, PipelineConfig
    from nlp.profiles import DEFAULT_PROFILE, profile_config

    base = (
        PipelineConfig.from_toml(config_path)
        if config_path
        else profile_config(profile or DEFAULT_PROFILE)
    )
    updates: dict[str, object] = {}
    if pack:  # given: it wins over the config's
        updates["pack"] = pack
    if pii_terms:  # on top of the config's terms
        terms = [*base.pii_terms, *(t.strip() for t in pii_terms.split(",") if t.strip())]
        updates["pii_terms"] = tuple(dict.fromkeys(terms))
    config = PipelineConfig.model_validate(base.model_dump() | updates)
    if output != "-" and input != "-" and Path(output).resolve() == Path(input).resolve():
        raise FeedbackError(f"{output}: the output would overwrite the input; choose another -o")
    Pipeline(config)  # load once up front: a bad pack or config fails before reading
    groups = [c.strip() for c in group_columns.split(",") if c.strip()]
    records = read_records(
        input, text_column=text_column, id_column=id_column, group_columns=groups
    )
    fmt = fmt or ("csv" if output.lower().endswith(".csv") else "jsonl")
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    repeated: list[str] = []
    started = time.perf_counter()
    stream = analyze_stream(records, config, workers=workers or default_workers())
    console = Console(stderr=True)
    with open_output(output) as out, _progress(console) as progress:
        task = progress.add_task("analysing", total=None)

        def counted() -> Iterator[dict[str, Any]]:
            for result in stream:
                counts[result.sentiment or "error"] += 1
                counts["alerts"] += result.alert.flag
                if result.id in seen:
                    repeated.append(result.id)
                seen.add(result.id)
                progress.advance(task)
                yield result.to_dict()

        try:
            if fmt == "csv":  # the given group columns, even when the first row is an error
                write_csv(counted(), out, group_columns=groups or None)
            else:
                write_jsonl(counted(), out)
        except OSError as exc:  # the input is read already: this is the output failing
            if exc.filename is None and not isinstance(exc, BrokenPipeError):
                exc.filename = output
            raise
    elapsed = time.perf_counter() - started
    total = sum(counts[k] for k in ("positive", "negative", "neutral", "mixed", "error"))
    console.print(
        f"koe: analysed {total} comments in {elapsed:.1f}s — positive {counts['positive']}, "
        f"negative {counts['negative']}, neutral {counts['neutral']}, mixed {counts['mixed']}, "
        f"alerts {counts['alerts']}, errors {counts['error']} → {output}",
        highlight=False,
        soft_wrap=True,
    )
    if repeated:
        console.print(
            f"koe: warning: {len(repeated)} row(s) repeat an earlier id (first: {repeated[0]!r}); "
            f"every row is kept, in input order, so join results by position, not by id",
            highlight=False,
            soft_wrap=True,
        )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
