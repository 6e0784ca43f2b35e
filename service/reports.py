"""Group reports over result dicts, with anonymity suppression (pure functions).

For each group: ``n``, the sentiment distribution, per-theme mention counts, rate and
polarity counts, and the alert count. Groups are cells of the job's group columns; the
cells to hide come from :func:`service.suppression.suppress`, computed over *all*
groupings of the job so that no two reports can be subtracted to reveal a small group.
Comments with an ``error`` are excluded (they have no labels).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nlp.text import natural_key
from service.suppression import Cell, cells_of, relations_of, suppress

__all__ = ["GroupStats", "ReportError", "build_report", "group_value", "tally"]

SENTIMENTS = ("positive", "negative", "neutral", "mixed")
POLARITIES = ("positive", "negative", "neutral")


class ReportError(ValueError):
    """The report cannot be made as asked (bad grouping or too many groups)."""


@dataclass(slots=True)
class GroupStats:
    """Additive counts of one group (so a parent group is the sum of its children)."""

    n: int = 0
    sentiment: Counter[str] = field(default_factory=Counter)
    themes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (theme, polarity)
    mentions: Counter[str] = field(default_factory=Counter)
    alerts: int = 0

    def add(self, result: Mapping[str, Any]) -> None:
        """Count one result dict in."""
        self.n += 1
        self.sentiment[str(result.get("sentiment"))] += 1
        seen: set[str] = set()
        for theme in result.get("themes") or ():
            theme_id = str(theme["id"])
            self.themes[(theme_id, str(theme.get("polarity")))] += 1
            seen.add(theme_id)
        self.mentions.update(seen)
        self.alerts += int(bool((result.get("alert") or {}).get("flag")))

    def public(self, theme_ids: Sequence[str]) -> dict[str, Any]:
        """Return the JSON shape of a visible group."""
        return {
            "n": self.n,
            "sentiment": {s: self.sentiment[s] for s in SENTIMENTS},
            "sentiment_share": {s: _rate(self.sentiment[s], self.n) for s in SENTIMENTS},
            "themes": [
                {
                    "id": theme_id,
                    "mentions": self.mentions[theme_id],
                    "mention_rate": _rate(self.mentions[theme_id], self.n),
                    **{p: self.themes[(theme_id, p)] for p in POLARITIES},
                }
                for theme_id in theme_ids
            ],
            "alerts": self.alerts,
        }


def tally(results: Iterable[Mapping[str, Any]]) -> GroupStats:
    """Count results into one :class:`GroupStats`."""
    stats = GroupStats()
    for result in results:
        stats.add(result)
    return stats


def build_report(
    results: Iterable[Mapping[str, Any]],
    *,
    group_by: Sequence[str],
    group_columns: Sequence[str],
    min_group_size: int,
    floor: int = 3,
    max_cells: int = 3000,
) -> dict[str, Any]:
    """Aggregate results by ``group_by`` and hide every group that could identify people.

    Args:
        results: ``CommentAnalysis.to_dict()`` values (group columns at the top level).
        group_by: Columns to group by, a subset of ``group_columns``.
        group_columns: All group columns of the job: suppression covers every grouping
            of these, so the pattern is the same whichever report is asked for.
        min_group_size: Groups with fewer comments are hidden (``k``).
        floor: The smallest ``min_group_size`` any client may ask for.
        max_cells: Refuse jobs whose groupings have more cells (audit cost).

    Returns:
        ``{"group_by", "min_group_size", "total", "groups", "suppressed_groups",
        "excluded_errors"}``; hidden groups keep only their ``key``.

    Raises:
        ReportError: ``group_by`` is not a subset of ``group_columns``, or too many cells.
    """
    columns = list(group_columns)
    _check_grouping(group_by, columns)
    dims = tuple(sorted(columns.index(c) for c in group_by))
    stats: dict[tuple[Hashable, ...], GroupStats] = {}
    keys: list[tuple[Hashable, ...]] = []
    total, errors = GroupStats(), 0
    for result in results:
        if result.get("error"):
            errors += 1
            continue
        key = tuple(_value(result.get(c)) for c in columns)
        keys.append(key)
        total.add(result)
        stats.setdefault(tuple(key[d] for d in dims), GroupStats()).add(result)
    sizes = cells_of(keys, len(columns))
    if len(sizes) > max_cells:
        raise ReportError(
            f"the job's {len(columns)} group columns make {len(sizes):,} groups across all "
            f"groupings; at most {max_cells:,} can be checked for anonymity: "
            "create the job with fewer or coarser group_columns"
        )
    hidden = suppress(sizes, relations_of(sizes), min_group_size, floor)
    theme_ids = sorted(total.mentions)
    groups = [
        _group({columns[d]: _public(v) for d, v in zip(dims, values, strict=True)},
               stats[values], (dims, values) in hidden, theme_ids)
        for values in sorted(stats, key=_order)
    ]  # fmt: skip
    root: Cell = ((), ())
    return {
        "group_by": list(group_by),
        "min_group_size": min_group_size,
        "total": _group({}, total, not keys or root in hidden, theme_ids),
        "groups": groups,
        "suppressed_groups": sum(g["suppressed"] for g in groups),
        "excluded_errors": errors,
    }


def _check_grouping(group_by: Sequence[str], columns: Sequence[str]) -> None:
    if len(set(group_by)) != len(group_by):
        raise ReportError("group_by names a column twice")
    unknown = [c for c in group_by if c not in columns]
    if unknown:
        offered = ", ".join(columns) or "(none: create the job with group_columns)"
        raise ReportError(
            f"cannot group by {', '.join(unknown)}: not a group column of this job; "
            f"its group columns are: {offered}"
        )


def _group(
    key: dict[str, Any], stats: GroupStats, hidden: bool, theme_ids: Sequence[str]
) -> dict[str, Any]:
    if hidden:
        return {"key": key, "suppressed": True}
    return {"key": key, "suppressed": False, **stats.public(theme_ids)}


def group_value(value: Any) -> Any:
    """The group a column value falls in, as reports show it.

    Text is NFKC-normalised and stripped (``ＩＴ部`` and ``IT部 `` are one group, as
    Excel exports mix widths), a blank cell and a missing value are one group (``None``).
    """
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
    return None if value == "" else value


def _value(value: Any) -> Hashable:
    """A group value as a key: ``true``, ``1`` and ``1.0`` are three groups, not one."""
    value = group_value(value)
    if isinstance(value, bool | float):
        return _Typed(value)
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


class _Typed:
    """A bool or float that equals only values of its own type (``True == 1`` in Python)."""

    __slots__ = ("value",)

    def __init__(self, value: bool | float) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Typed)
            and type(other.value) is type(self.value)
            and other.value == self.value
        )

    def __hash__(self) -> int:
        return hash((type(self.value).__name__, self.value))

    def __repr__(self) -> str:
        return repr(self.value)


def _public(value: Hashable) -> Any:
    return value.value if isinstance(value, _Typed) else value


def _order(values: tuple[Hashable, ...]) -> tuple[Any, ...]:
    """Groups in natural order (2024Q9 before 2024Q10, 第二回 before 第十回), blanks last."""
    return tuple((1, ((), "")) if v is None else (0, natural_key(str(_public(v)))) for v in values)


def _rate(count: int, n: int) -> float:
    return round(count / n, 4) if n else 0.0
