"""Group reports: statistics, and suppression that survives subtraction attacks."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest

from service.reports import ReportError, build_report
from service.suppression import Cell, cells_of, relations_of

COLUMNS = ["dept", "wave"]


def result(dept: str, wave: str = "w1", sentiment: str = "negative", **extra: Any) -> dict:
    return {
        "id": "x", "pack": "employee", "sentiment": sentiment, "dept": dept, "wave": wave,
        "themes": [{"id": "workload", "polarity": "negative", "evidence": []}],
        "alert": {"flag": sentiment == "negative", "reasons": [], "evidence": []},
        "error": None, **extra,
    }  # fmt: skip


def people(**sizes: int) -> list[dict]:
    """``people(A_w1=8, A_w2=4)`` -> that many results per dept/wave."""
    rows = []
    for name, n in sizes.items():
        dept, wave = name.split("_") if "_" in name else (name, "w1")
        rows += [result(dept, wave, "negative" if i % 2 else "positive") for i in range(n)]
    return rows


def report(rows: list[dict], group_by: list[str], k: int = 5, floor: int = 3) -> dict:
    return build_report(rows, group_by=group_by, group_columns=COLUMNS, min_group_size=k,
                        floor=floor)  # fmt: skip


def visible(rep: dict) -> dict[tuple, int]:
    return {tuple(g["key"].values()): g["n"] for g in rep["groups"] if not g["suppressed"]}


def test_report_statistics() -> None:
    rows = people(A=6, B=5) + [result("A", error={"code": "empty_text", "message": "x"})]
    rows[0]["themes"] = []
    rep = report(rows, ["dept"])
    a = rep["groups"][0]
    assert a["key"] == {"dept": "A"} and a["n"] == 6 and not a["suppressed"]
    assert a["sentiment"] == {"positive": 3, "negative": 3, "neutral": 0, "mixed": 0}
    assert a["sentiment_share"]["positive"] == 0.5
    assert a["themes"] == [{"id": "workload", "mentions": 5, "mention_rate": 0.8333,
                            "positive": 0, "negative": 5, "neutral": 0}]  # fmt: skip
    assert a["alerts"] == 3
    assert rep["total"]["n"] == 11 and rep["excluded_errors"] == 1


def test_report_keeps_value_types_apart_and_orders_groups_naturally() -> None:
    rows = [result(d) for d in ("2024Q10", "2024Q9", "", None, "ＩＴ部", "IT部 ") for _ in range(5)]
    rows += [result("x", grade=g) for g in (1, True, 1.0) for _ in range(5)]
    rep = build_report(rows, group_by=["dept"], group_columns=["dept"], min_group_size=5)
    assert [g["key"]["dept"] for g in rep["groups"]] == ["2024Q9", "2024Q10", "IT部", "x", None]
    assert [g["n"] for g in rep["groups"]] == [5, 5, 10, 15, 10]  # widths, blanks: one group
    by_grade = build_report(rows, group_by=["grade"], group_columns=["grade"], min_group_size=5)
    grades = [(g["key"]["grade"], g["n"]) for g in by_grade["groups"]]
    assert [(type(v), n) for v, n in grades] == [(int, 5), (float, 5), (bool, 5), (type(None), 30)]


def test_report_suppressed_groups_carry_no_numbers() -> None:
    rep = report(people(A=10, B=10, C=2), ["dept"])
    hidden = [g for g in rep["groups"] if g["suppressed"]]
    assert {tuple(g["key"].values()) for g in hidden} >= {("C",)}
    for group in hidden:
        assert set(group) == {"key", "suppressed"}
    assert rep["suppressed_groups"] == len(hidden)


def test_report_single_small_group_gets_a_complement() -> None:
    rep = report(people(A=12, B=9, C=2), ["dept"])
    shown = visible(rep)
    assert ("C",) not in shown
    total = None if rep["total"]["suppressed"] else rep["total"]["n"]
    # total minus the visible groups must not single out C
    assert total is None or len(shown) <= 1
    if total is not None:
        assert total - sum(shown.values()) >= 5


def test_report_total_suppressed_when_everything_small() -> None:
    rep = report(people(A=2, B=1), ["dept"])
    assert rep["total"]["suppressed"] and all(g["suppressed"] for g in rep["groups"])


def test_report_dept_vs_dept_wave_attack() -> None:
    # A has 12 people: 8 in wave 1, 4 in wave 2. By dept, A is visible (12);
    # by dept,wave, publishing A/w1 (8) would reveal A/w2 = 12 - 8 = 4.
    rows = people(A_w1=8, A_w2=4, B_w1=10, B_w2=10)
    by_dept, by_cell = report(rows, ["dept"]), report(rows, ["dept", "wave"])
    by_wave = report(rows, ["wave"])
    cells = visible(by_cell)
    assert ("A", "w2") not in cells
    if ("A",) in visible(by_dept):
        assert ("A", "w1") not in cells
    if ("w2",) in visible(by_wave):
        assert ("B", "w2") not in cells
    _assert_nothing_small_derivable(rows, [by_dept, by_cell, by_wave, report(rows, [])], k=5)


def test_report_patterns_nested_across_thresholds() -> None:
    rows = _random_rows(seed=3, n=120)
    for group_by in ([], ["dept"], ["wave"], ["dept", "wave"]):
        previous: set | None = None
        for k in range(3, 12):
            hidden = {tuple(g["key"].values()) for g in report(rows, group_by, k)["groups"]
                      if g["suppressed"]}  # fmt: skip
            assert previous is None or previous <= hidden, (group_by, k)
            previous = hidden


@pytest.mark.parametrize("seed", range(6))
def test_report_no_small_group_derivable_from_all_reports(seed: int) -> None:
    rows = _random_rows(seed=seed, n=random.Random(seed).randint(40, 160))
    groupings = [[], ["dept"], ["wave"], ["dept", "wave"]]
    for k in (3, 5, 8):
        _assert_nothing_small_derivable(rows, [report(rows, g, k) for g in groupings], k=k)
    # every threshold combined: nothing below the floor (3) may be derivable
    everything = [report(rows, g, k) for g in groupings for k in range(3, 10)]
    _assert_nothing_small_derivable(rows, everything, k=3)


@pytest.mark.parametrize("seed", range(3))
def test_report_three_columns_no_small_group_derivable(seed: int) -> None:
    rng = random.Random(seed)
    columns = ["dept", "wave", "grade"]
    rows = [
        result(f"d{int(rng.paretovariate(1.1)) % 9}", rng.choice(["w1", "w2"]),
               grade=rng.choice(["g1", "g2", "g3"]))
        for _ in range(rng.randint(60, 160))
    ]  # fmt: skip
    reports = [
        build_report(rows, group_by=list(g), group_columns=columns, min_group_size=5)
        for size in range(4) for g in itertools.combinations(columns, size)
    ]  # fmt: skip
    _assert_nothing_small_derivable(rows, reports, k=5, columns=columns)


def test_report_hidden_groups_cannot_be_sized_from_their_count() -> None:
    # total 25 - A 20 = 5 over five listed hidden groups would pin each at 1
    rows = people(A=20, B=1, C=1, D=1, E=1, F=1)
    reps = [report(rows, g) for g in ([], ["dept"])]
    _assert_no_small_group_capped(rows, reps, k=5)


def test_report_two_columns_lower_bounds_pin_nothing() -> None:
    sizes = {
        ("A", "w1"): 9,
        ("A", "w2"): 4,
        ("A", "w3"): 1,
        ("B", "w1"): 4,
        ("B", "w3"): 1,
        ("C", "w1"): 3,
        ("C", "w2"): 1,
        ("C", "w3"): 1,
        ("D", "w1"): 1,
        ("E", "w2"): 1,
    }
    rows = [result(d, w) for (d, w), n in sizes.items() for _ in range(n)]  # fmt: skip
    reps = [report(rows, g) for g in ([], ["dept"], ["wave"], ["dept", "wave"])]
    _assert_no_small_group_capped(rows, reps, k=5)


def test_report_three_columns_where_every_cell_ends_hidden() -> None:
    cells = [("A", "w1", "g1", 1), ("A", "w1", "g2", 1), ("B", "w2", "g3", 1),
             ("B", "w3", "g1", 1), ("B", "w3", "g3", 3), ("C", "w1", "g2", 1),
             ("D", "w4", "g3", 1)]  # fmt: skip
    columns = ["dept", "wave", "grade"]
    rows = [result(d, w, grade=g) for d, w, g, n in cells for _ in range(n)]
    for size in range(4):
        for group_by in itertools.combinations(columns, size):
            rep = build_report(rows, group_by=list(group_by), group_columns=columns,
                               min_group_size=5)  # fmt: skip
            assert all(g["suppressed"] for g in rep["groups"])


def test_report_one_big_department_keeps_the_total_and_the_waves() -> None:
    # one department of 483 and eight of 1-13: protecting the small ones must not hide
    # the whole report (one fix at a time, not one per leak found in the same pass)
    cells = {("d0", "w1"): 2, ("d0", "w2"): 5, ("d10", "w1"): 1, ("d10", "w2"): 1,
             ("d11", "w1"): 1, ("d3", "w3"): 1, ("d4", "w1"): 6, ("d4", "w2"): 3,
             ("d4", "w3"): 4, ("d6", "w1"): 1, ("d7", "w1"): 1, ("d7", "w2"): 1,
             ("d7", "w3"): 1, ("d8", "w3"): 1, ("d9", "w1"): 174, ("d9", "w2"): 157,
             ("d9", "w3"): 152}  # fmt: skip
    rows = [result(d, w) for (d, w), n in cells.items() for _ in range(n)]
    reps = [report(rows, g) for g in ([], ["dept"], ["wave"], ["dept", "wave"])]
    assert reps[0]["total"]["n"] == 512 and len(visible(reps[2])) >= 2
    _assert_no_small_group_capped(rows, reps, k=5)


def test_report_shows_cells_hidden_early_that_later_hides_made_needless() -> None:
    # a survey with departments of 320 … 1 over four waves hid every department x wave
    # cell and the 206-comment first wave for leaks one small department's total closed
    sizes = {"営業": 320, "開発": 260, "製造": 152, "人事": 40, "総務": 20, "経理": 13,
             "広報": 4, "法務": 3, "監査": 1}  # fmt: skip
    rows = [result(dept, f"w{i % 4 + 1}") for dept, n in sizes.items() for i in range(n)]
    reps = [report(rows, g) for g in ([], ["dept"], ["wave"], ["dept", "wave"])]
    assert len(visible(reps[2])) == 4  # every wave
    shown = visible(reps[3])
    assert {("営業", "w1"), ("開発", "w1"), ("製造", "w1"), ("人事", "w1")} <= set(shown)
    _assert_no_small_group_capped(rows, reps, k=5)


@pytest.mark.parametrize("seed", range(4))
def test_report_random_lower_bounds_pin_nothing(seed: int) -> None:
    rng = random.Random(100 + seed)
    sizes = {(f"d{d}", f"w{w}"): rng.choice([1, 1, 1, 2, 3, 4, 6, 9])
             for d in range(rng.randint(2, 6)) for w in range(rng.randint(1, 4))
             if rng.random() < 0.7}  # fmt: skip
    rows = [result(d, w) for (d, w), n in sizes.items() for _ in range(n)]
    reps = [report(rows, g) for g in ([], ["dept"], ["wave"], ["dept", "wave"])]
    _assert_no_small_group_capped(rows, reps, k=5)


def test_report_grouping_errors() -> None:
    rows = people(A=5)
    with pytest.raises(ReportError, match="not a group column"):
        report(rows, ["site"])
    with pytest.raises(ReportError, match="twice"):
        report(rows, ["dept", "dept"])
    with pytest.raises(ReportError, match="at most 3"):
        build_report(rows, group_by=["dept"], group_columns=COLUMNS, min_group_size=5,
                     max_cells=3)  # fmt: skip


def _random_rows(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    depts = ["営業", "開発", "人事", "法務", "経理"]
    weights = [40, 30, 12, 5, 3]
    return [
        result(rng.choices(depts, weights)[0], rng.choice(["w1", "w2", "w3"]),
               rng.choice(["positive", "negative", "neutral"]))
        for _ in range(n)
    ]  # fmt: skip


def _assert_nothing_small_derivable(
    rows: list[dict], reports: list[dict], k: int, columns: list[str] = COLUMNS
) -> None:
    """Independent check: from every published n, no hidden group with n < k is derivable.

    Published numbers give equations ``parent = Σ children`` over the lattice; a hidden
    cell is derivable when its unit vector lies in the row space of those equations
    restricted to the hidden cells (rank test). Sums of hidden siblings under a known
    parent are checked the same way.
    """
    sizes = cells_of([tuple(r[c] for c in columns) for r in rows], len(columns))
    published: set[Cell] = set()
    for rep in reports:
        dims = tuple(sorted(columns.index(c) for c in rep["group_by"]))
        for group in rep["groups"]:
            if not group["suppressed"]:
                values = tuple(group["key"][columns[d]] for d in dims)
                published.add((dims, values))
                assert sizes[(dims, values)] == group["n"] >= rep["min_group_size"]
        if not rep["total"]["suppressed"]:
            published.add(((), ()))
    unknown = sorted(set(sizes) - published, key=repr)
    index = {c: i for i, c in enumerate(unknown)}
    relations = relations_of(sizes)
    rows_ = []
    for rel in relations:
        row = np.zeros(len(unknown))
        for sign, cells in ((1, [rel.parent]), (-1, rel.children)):
            for c in cells:
                if c in index:
                    row[index[c]] = sign
        if row.any():
            rows_.append(row)
    matrix = np.array(rows_) if rows_ else np.zeros((0, len(unknown)))
    rank = np.linalg.matrix_rank(matrix) if len(rows_) else 0

    def derivable(vector: np.ndarray) -> bool:
        return bool(np.linalg.matrix_rank(np.vstack([matrix, vector])) == rank)

    for cell in unknown:
        if sizes[cell] < k:
            unit = np.zeros(len(unknown))
            unit[index[cell]] = 1
            assert not derivable(unit), f"{cell} (n={sizes[cell]}) is derivable"
    for rel in relations:
        hidden_kids = [c for c in rel.children if c in index]
        small = sum(sizes[c] for c in hidden_kids) < k
        for size in range(2, len(hidden_kids) + 1):
            for subset in itertools.combinations(hidden_kids, size):
                if small and sum(sizes[c] for c in subset) < k:
                    vector = np.zeros(len(unknown))
                    vector[[index[c] for c in subset]] = 1
                    assert not derivable(vector), f"sum of {subset} is derivable"


def _assert_no_small_group_capped(
    rows: list[dict], reports: list[dict], k: int, columns: list[str] = COLUMNS
) -> None:
    """Independent check with the readers' lower bounds: every hidden group is listed, so
    it holds at least one comment; no small hidden group may then be capped below ``k``
    by the published sizes (largest feasible size by linear programming)."""
    sizes = cells_of([tuple(r[c] for c in columns) for r in rows], len(columns))
    unknown = set(sizes) - _published(reports, columns)
    assert _capped(sizes, unknown, k) == []


def _capped(sizes: dict[Cell, int], unknown: set[Cell], k: int) -> list[tuple[Cell, float]]:
    """The small unknown cells whose largest feasible size is below ``k``, with that size."""
    from scipy.optimize import linprog

    cells = sorted(unknown, key=repr)
    index = {c: i for i, c in enumerate(cells)}
    matrix, bound = [], []
    for rel in relations_of(sizes):
        row, rhs = np.zeros(len(cells)), 0.0
        for sign, members in ((1, [rel.parent]), (-1, rel.children)):
            for c in members:
                if c in index:
                    row[index[c]] = sign
                else:
                    rhs -= sign * sizes[c]
        if row.any():
            matrix.append(row)
            bound.append(rhs)
    capped = []
    for cell in cells:
        if sizes[cell] < k:
            objective = np.zeros(len(cells))
            objective[index[cell]] = -1
            best = linprog(objective, A_eq=np.array(matrix) if matrix else None,
                           b_eq=bound or None, bounds=(1, None))  # fmt: skip
            if best.status != 3 and not (best.status == 0 and -best.fun >= k - 1e-6):
                capped.append((cell, float(-best.fun) if best.status == 0 else float("nan")))
    return capped


def _published(reports: list[dict], columns: list[str]) -> set[Cell]:
    published: set[Cell] = set()
    for rep in reports:
        dims = tuple(sorted(columns.index(c) for c in rep["group_by"]))
        for group in rep["groups"]:
            if not group["suppressed"]:
                published.add((dims, tuple(group["key"][columns[d]] for d in dims)))
        if not rep["total"]["suppressed"]:
            published.add(((), ()))
    return published


def test_suppression_patterns_are_cached_but_not_shared() -> None:
    from service.suppression import suppress

    sizes = cells_of([(d, w) for d, w, n in (("A", "w1", 9), ("B", "w1", 2), ("B", "w2", 7))
                      for _ in range(n)], 2)  # fmt: skip
    first = suppress(sizes, relations_of(sizes), 5, 3)
    again = suppress(sizes, relations_of(sizes), 5, 3)
    assert again == first and again is not first
    first.add(((9,), ("not a cell",)))  # a caller's change must not reach the next report
    assert suppress(sizes, relations_of(sizes), 5, 3) == again


@pytest.mark.parametrize("seed", [92, 138])
def test_report_patterns_stay_safe_and_nested_when_groups_are_shown_again(seed: int) -> None:
    # lattices where showing groups again once reused stale bounds (a 1-comment group
    # capped at 5 below k = 6) or broke nesting between k = 8 and k = 9
    from nlp.suppression import suppress

    rng = random.Random(seed)
    width = rng.choice([1, 2, 2, 3])
    nvals = [rng.randint(1, 6) for _ in range(width)]
    n = rng.randint(5, 150)
    weights = [[rng.choice([1, 1, 2, 5, 20, 50]) for _ in range(v)] for v in nvals]
    keys = [tuple(rng.choices([f"v{d}{i}" for i in range(nvals[d])], weights[d])[0]
                  for d in range(width)) for _ in range(n)]  # fmt: skip
    sizes = cells_of(keys, width)
    relations = relations_of(sizes)
    previous: set[Cell] = set()
    for k in range(3, 11):
        hidden = suppress(sizes, relations, k, 3)
        assert previous <= hidden, k
        previous = hidden
        assert _capped(sizes, hidden, k) == [], k
