"""Writers for analysis results: JSON Lines, and flat CSV that Excel opens as UTF-8."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from nlp.results import RESULT_KEYS

__all__ = ["open_output", "write_csv", "write_jsonl"]

_EXCEL_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CSV_FIELDS = (
    "id", "sentiment", "intent", "alert", "alert_reasons", "themes", "text_redacted",
    "error_code",
)  # fmt: skip


def write_jsonl(results: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write one JSON object per line (UTF-8 text, not ASCII-escaped).

    Args:
        results: ``CommentAnalysis.to_dict()`` values.
        out: A text stream, e.g. from :func:`open_output`.

    Returns:
        The number of results written.
    """
    count = 0
    for result in results:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(
    results: Iterable[dict[str, Any]],
    out: IO[str],
    *,
    group_columns: Sequence[str] | None = None,
) -> int:
    """Write one flat CSV row per result, for spreadsheets.

    Columns: id, sentiment, intent, alert (true/false), alert_reasons (``;``-joined),
    themes (``id:polarity;...``), text_redacted, error_code, then the group columns.
    Id, text and group cells that Excel would run as formulas (``=``, ``+``, ``-``, ``@``)
    get a leading ``'``.

    Args:
        results: ``CommentAnalysis.to_dict()`` values (attributes at the top level).
        out: A text stream opened with ``newline=""``, e.g. from :func:`open_output`.
        group_columns: Extra columns; by default the non-result keys of the first result.

    Returns:
        The number of rows written, not counting the header.
    """
    rows = iter(results)
    first = next(rows, None)
    if group_columns is None:
        group_columns = [] if first is None else [k for k in first if k not in RESULT_KEYS]
    writer = csv.writer(out)
    writer.writerow([*_CSV_FIELDS, *group_columns])
    if first is None:
        return 0
    count = 0
    for result in itertools.chain([first], rows):
        writer.writerow(_flatten(result, group_columns))
        count += 1
    return count


def open_output(path: str | Path) -> IO[str]:
    """Open an output for the writers: ``"-"`` is stdout, ``.csv`` files get a UTF-8 BOM.

    Missing parent folders are created. A file is written under a temporary name and
    renamed when the ``with`` block ends without an error, so a failed or interrupted run
    never leaves a partial file that looks complete (nor replaces an earlier one).

    The BOM makes Excel read the CSV as UTF-8 instead of Shift_JIS. Closing the stdout
    stream only flushes it, so it can be used in a ``with`` block.

    Args:
        path: A file path or ``"-"``.

    Returns:
        A UTF-8 text stream with ``newline=""``.
    """
    if str(path) == "-":
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            return sys.stdout
        sys.stdout.flush()
        return _KeepOpenWriter(buffer, encoding="utf-8", newline="", write_through=True)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    encoding = "utf-8-sig" if target.suffix.lower() == ".csv" else "utf-8"
    if target.exists() and not target.is_file():  # a device or a pipe: write straight to it
        return target.open("w", encoding=encoding, newline="")
    partial = target.with_name(f".{target.name}.partial")
    return _AtomicWriter(partial, target, encoding)


class _AtomicWriter(io.TextIOWrapper):
    """Writes ``.NAME.partial`` beside the target and renames it when the block succeeds.

    An error or an interrupt inside the ``with`` block removes the partial file, so the
    target is either the complete new output or whatever was there before.
    """

    def __init__(self, partial: Path, target: Path, encoding: str) -> None:
        super().__init__(partial.open("wb"), encoding=encoding, newline="")
        self.partial, self.target, self.failed = partial, target, False

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.failed = exc_type is not None
        self.close()

    def close(self) -> None:
        """Close, then rename to the target (or, after an error, remove the partial file)."""
        if self.closed:
            return
        super().close()
        if self.failed:
            self.partial.unlink(missing_ok=True)
        else:
            os.replace(self.partial, self.target)


class _KeepOpenWriter(io.TextIOWrapper):
    """A UTF-8 layer over stdout whose ``close`` flushes but leaves stdout open."""

    def close(self) -> None:
        if not self.closed:
            self.flush()


def _flatten(result: dict[str, Any], group_columns: Sequence[str]) -> list[str]:
    alert = result.get("alert")
    flag = bool(alert.get("flag")) if isinstance(alert, dict) else bool(alert)
    reasons = (alert.get("reasons") or []) if isinstance(alert, dict) else []
    themes = ";".join(f"{t['id']}:{t['polarity']}" for t in result.get("themes") or [])
    error = result.get("error")
    return [
        _excel_safe(str(result.get("id", ""))),
        result.get("sentiment") or "",
        result.get("intent") or "",
        "true" if flag else "false",
        ";".join(reasons),
        themes,
        _excel_safe(result.get("text_redacted") or ""),
        error.get("code", "") if isinstance(error, dict) else "",
        *(_excel_safe(_plain(result.get(column))) for column in group_columns),
    ]


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _excel_safe(value: str) -> str:
    """Quote cells Excel would evaluate as formulas (CSV injection), except plain numbers."""
    if not value.startswith(_EXCEL_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value
