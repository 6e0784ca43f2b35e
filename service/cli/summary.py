"""``koe summary``: a readable terminal summary of ``koe analyze`` output, by group.

Groups smaller than ``--min-group-size`` are hidden (with complementary suppression,
the same rules as the report API).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nlp.results import RESULT_KEYS
from service.cli._app import app, fail

__all__ = ["summary_command"]

BLANK = "未記入 (blank)"
SENTIMENT_LABELS = {
    "positive": "肯定 pos",
    "negative": "否定 neg",
    "neutral": "中立 neu",
    "mixed": "混在 mix",
}


@app.command("summary")
def summary_command(
    results: Annotated[Path, typer.Argument(help="JSONL written by `koe analyze`.")],
    group_column: Annotated[str | None, typer.Option(help="Column to group by, e.g. dept.")] = None,
    min_group_size: Annotated[int, typer.Option(min=3, help="Hide smaller groups.")] = 5,
    top_themes: Annotated[int, typer.Option(help="Themes shown per group.")] = 3,
) -> None:
    """Summarise analysed comments: sentiment, top themes and alerts per group."""
    from nlp.alerts import REASON_LABELS
    from service.reports import ReportError, build_report

    try:
        rows = [
            json.loads(line)
            for line in results.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read {results}: {exc}") from None
    columns = [group_column] if group_column else []
    if group_column and not any(group_column in r for r in rows):
        present = sorted({k for r in rows for k in r} - RESULT_KEYS)
        raise fail(
            f"no column {group_column!r} in {results}; columns present: "
            f"{', '.join(present) or '(none: analyse with --group-columns)'}"
        )
    try:
        report = build_report(
            rows, group_by=columns, group_columns=columns, min_group_size=min_group_size
        )
    except ReportError as exc:
        raise fail(str(exc)) from None
    labels = _theme_labels(rows)
    quotable = _quotable(rows, report, min_group_size, group_column)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a log file or pipe: do not squeeze the table
    total = report["total"]
    count = "件数非表示 count hidden" if total["suppressed"] else f"{total['n']} comments"
    title = f"koe summary — {count}"
    if report["excluded_errors"]:
        title += f" ({report['excluded_errors']} not analysed: errors, left out)"
    table = Table(title=title, show_lines=False)
    table.add_column(group_column or "全体 all", overflow="fold")
    table.add_column("n", justify="right")
    for name in SENTIMENT_LABELS.values():
        table.add_column(name, justify="right")
    table.add_column("主なテーマ top themes: mentions (+/−)", overflow="fold")
    table.add_column("アラート alerts", justify="right")
    if columns:  # without a group column the only group is the total
        for group in report["groups"]:
            table.add_row(*_row(_name(group["key"]), group, labels, top_themes))
    table.add_row(*_row("合計 total", total, labels, top_themes))
    console.print(table)
    unlisted = 0
    for r in rows:
        if not (r.get("alert") or {}).get("flag"):
            continue
        if not quotable(r):
            unlisted += 1
            continue
        reasons = ", ".join(REASON_LABELS.get(x, x) for x in r["alert"]["reasons"])
        console.print(
            f"[bold red]alert[/] {r['id']}: {reasons} — {r['text_redacted'][:60]}",
            highlight=False,
        )
    if report["suppressed_groups"]:
        console.print(
            f"非表示 {report['suppressed_groups']} group(s) hidden: fewer than "
            f"{min_group_size} comments, or they would reveal such a group (anonymity)"
        )
    if unlisted:
        console.print(
            f"{unlisted} alert(s) in hidden groups (of this or another column's summary) "
            f"are not listed; follow them up from {results} (rows with alert.flag true)",
            highlight=False,
        )


def _quotable(
    rows: list[dict[str, Any]], report: dict[str, Any], min_group_size: int, own: str | None
) -> Callable[[dict[str, Any]], bool]:
    """Whether a comment may be quoted: its group is shown in a summary by every column.

    Quoting a comment by wave that a summary by department hides would tell a reader
    who runs both that it came from a hidden (small) department. Another column whose
    summary shows no group (an id-like field, or one too large to audit) tells nothing
    by that, so it does not stop quotes; this summary's own hidden groups always do.
    """
    from service.reports import ReportError, build_report, group_value

    def key(value: Any) -> str:  # a group value as reports key it: lists as their text
        value = group_value(value)
        if not (value is None or isinstance(value, str | int | float)):
            value = str(value)
        return json.dumps(value)

    if report["total"]["suppressed"]:
        return lambda row: False
    hidden: dict[str, set[str]] = {}
    for column in sorted({k for r in rows for k in r} - RESULT_KEYS):
        try:
            by_column = build_report(
                rows, group_by=[column], group_columns=[column], min_group_size=min_group_size
            )
        except ReportError:
            continue
        groups = by_column["groups"]
        if column != own and all(g["suppressed"] for g in groups):
            continue
        hidden[column] = {key(g["key"][column]) for g in groups if g["suppressed"]}

    def quotable(row: dict[str, Any]) -> bool:
        return all(key(row.get(column)) not in values for column, values in hidden.items())

    return quotable


def _name(key: dict[str, Any]) -> str:
    return " / ".join(BLANK if v is None else str(v) for v in key.values())


def _row(name: str, group: dict[str, Any], labels: dict[str, str], top: int) -> list[str]:
    if group.get("suppressed"):
        return [name, "—", "—", "—", "—", "—", "非表示 hidden (small group)", "—"]
    shares = [f"{group['sentiment_share'][s]:.0%}" for s in SENTIMENT_LABELS]
    themes = sorted(group["themes"], key=lambda t: -t["mentions"])[:top]
    theme_text = ", ".join(
        f"{labels.get(t['id'], t['id'])} {t['mentions']} (+{t['positive']}/−{t['negative']})"
        for t in themes
        if t["mentions"]
    )
    return [name, str(group["n"]), *shares, theme_text, str(group["alerts"])]


def _theme_labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    from nlp.errors import FeedbackError
    from nlp.themes import load_pack

    labels: dict[str, str] = {}
    for pack_id in sorted({str(r.get("pack")) for r in rows}):  # the first pack's label wins
        try:
            pack = load_pack(pack_id)
        except FeedbackError:
            continue
        for t in pack.themes:
            labels.setdefault(t.id, f"{t.label.ja} / {t.label.en}")
    return labels
