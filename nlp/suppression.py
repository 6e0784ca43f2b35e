"""Small-group suppression that holds across every report of a job (pure functions).

The cells are every group of every grouping over the job's group columns (the
*lattice*: the total, each column alone, each pair, …), because a client may ask for
any of them and subtract one from another. A cell is *primary*-suppressed when fewer
than ``k`` comments fall in it. *Complementary* suppression then hides more cells
until no published numbers reveal a small group:

* every additive relation ``parent = Σ children`` (``dept A`` = Σ its waves, the total
  = Σ depts, …) is propagated: a relation with one hidden member reveals it, and a
  relation whose parent is known reveals the sum of its hidden children, which must
  then cover ``k`` comments or more;
* a bound audit (a linear programme per small hidden cell) catches what needs several
  equations at once. Hidden groups are listed by name, so a reader knows each holds at
  least one comment; a small group leaks when the published numbers and those lower
  bounds cap it below ``k`` (five hidden groups whose sum is known to be 5 hold one
  comment each), which includes being pinned to its exact size.

Patterns are nested across thresholds: the pattern for ``k`` starts from the one for
``k - 1`` (down to the floor), so comparing reports made with different
``min_group_size`` values reveals nothing the smallest allowed one does not.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Cell", "Relation", "cells_of", "relations_of", "suppress"]

#: a cell: the indices of the grouping's columns, and the values of those columns
Cell = tuple[tuple[int, ...], tuple[Hashable, ...]]

_TOL = 1e-8
#: most cells :func:`_release` tries to show again per threshold (each try is an audit),
#: and the largest lattice it works on (a 4-column lattice of 1,689 cells took 17 times
#: as long with it)
_RELEASE_TRIALS = 200
_RELEASE_MAX_CELLS = 1000


@dataclass(frozen=True, slots=True)
class Relation:
    """``parent`` equals the sum of ``children`` (one column added to the grouping)."""

    parent: Cell
    children: tuple[Cell, ...]

    @property
    def members(self) -> tuple[Cell, ...]:
        """Parent first, then the children."""
        return (self.parent, *self.children)


def cells_of(keys: Iterable[tuple[Hashable, ...]], width: int) -> dict[Cell, int]:
    """Count comments per cell of every grouping, from each comment's column values."""
    counts: dict[Cell, int] = defaultdict(int)
    subsets = [
        dims for size in range(width + 1) for dims in itertools.combinations(range(width), size)
    ]
    for key in keys:
        for dims in subsets:
            counts[(dims, tuple(key[d] for d in dims))] += 1
    return dict(counts)


def relations_of(cells: Iterable[Cell]) -> list[Relation]:
    """Return every one-column refinement relation between the cells."""
    cell_list = list(cells)
    children: dict[tuple[Cell, int], list[Cell]] = defaultdict(list)
    for dims, values in cell_list:
        for position, dim in enumerate(dims):
            parent_dims = dims[:position] + dims[position + 1 :]
            parent_values = values[:position] + values[position + 1 :]
            children[((parent_dims, parent_values), dim)].append((dims, values))
    return [
        Relation(parent, tuple(sorted(kids, key=repr)))
        for (parent, _dim), kids in sorted(children.items(), key=repr)
    ]


#: recent patterns: reports of one job ask again with the same sizes (another group_by)
_CACHE: OrderedDict[tuple[object, ...], frozenset[Cell]] = OrderedDict()
_CACHE_SIZE = 32


def suppress(
    sizes: Mapping[Cell, int], relations: Sequence[Relation], k: int, floor: int
) -> set[Cell]:
    """Return the cells to hide at threshold ``k`` (nested over ``floor..k``).

    The bound audit can take seconds on large lattices, so the last patterns are kept
    (keyed by the sizes, the relations and the thresholds).
    """
    key = (frozenset(sizes.items()), frozenset(relations), k, floor)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return set(_CACHE[key])
    hidden = _suppress(sizes, relations, k, floor)
    _CACHE[key] = frozenset(hidden)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return hidden


def _suppress(
    sizes: Mapping[Cell, int], relations: Sequence[Relation], k: int, floor: int
) -> set[Cell]:
    releasing = len(sizes) <= _RELEASE_MAX_CELLS
    if releasing:  # every step, so that the pattern of k - 1 is a step of this run too
        thresholds = list(range(floor, k + 1))
    else:
        thresholds = sorted({floor, k} | {n + 1 for n in sizes.values() if floor < n + 1 < k})
    by_cell: dict[Cell, list[Relation]] = defaultdict(list)
    for relation in relations:
        for cell in relation.members:
            by_cell[cell].append(relation)
    hidden: set[Cell] = set()
    reach: dict[Cell, float] = {}
    for threshold in thresholds:
        before = set(hidden)
        hidden |= {cell for cell, n in sizes.items() if n < threshold}
        _complete(sizes, relations, by_cell, threshold, hidden, reach)
        if releasing and _release(sizes, relations, by_cell, threshold, hidden, hidden - before):
            reach.clear()  # shown cells tighten the equations: old solutions may not hold
    return hidden


def _complete(
    sizes: Mapping[Cell, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    k: int,
    hidden: set[Cell],
    reach: dict[Cell, float],
) -> None:
    while True:
        fix, known = _propagation_leak(sizes, relations, by_cell, k, hidden)
        if fix is not None:
            hidden.add(fix)
            continue
        fixes = _bound_leaks(sizes, relations, by_cell, k, hidden, hidden - known, reach)
        if not fixes:
            return
        hidden |= fixes


def _release(
    sizes: Mapping[Cell, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    k: int,
    hidden: set[Cell],
    added: set[Cell],
) -> bool:
    """Show again each cell hidden only to protect others, if the pattern stays safe.

    Hiding picks one cell per leak and never looks back, so a cell hidden early can turn
    out not to be needed once later ones are hidden (a survey hid its 206-comment first
    wave and every department x wave cell for a leak that one department's total
    closed). Cells are tried coarsest grouping, then largest, first, up to
    ``_RELEASE_TRIALS`` of them; only cells hidden at this threshold (``added``) are
    tried, so the patterns stay nested across thresholds. Returns whether any was shown.
    """
    shown = False
    candidates = sorted(
        (c for c in added if sizes[c] >= k), key=lambda c: (len(c[0]), -sizes[c], repr(c))
    )
    _, known = _propagation_leak(sizes, relations, by_cell, k, hidden)
    group = _group_of(relations, hidden - known)
    for cell in candidates[:_RELEASE_TRIALS]:
        hidden.discard(cell)
        fix, now_known = _propagation_leak(sizes, relations, by_cell, k, hidden)
        if fix is None:
            # only groups of unknown cells that now hold a known one have new equations
            touched = {group[c] for c in now_known - known if c in group}
            unknown = {c for c in hidden - now_known if group.get(c) in touched}
            fix = next(iter(_bound_leaks(sizes, relations, by_cell, k, hidden, unknown, {})), None)
        if fix is not None:
            hidden.add(cell)
        else:
            known, group = now_known, _group_of(relations, hidden - now_known)
            shown = True
    return shown


def _group_of(relations: Sequence[Relation], unknown: set[Cell]) -> dict[Cell, int]:
    """The index of each unknown cell's connected group (:func:`_components`)."""
    return {c: i for i, cells in enumerate(_components(relations, unknown)) for c in cells}


def _order(sizes: Mapping[Cell, int], cell: Cell) -> tuple[int, int, str]:
    # finest grouping first (marginals are worth more to readers), then smallest
    return (-len(cell[0]), sizes[cell], repr(cell))


def _propagation_leak(
    sizes: Mapping[Cell, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    k: int,
    hidden: set[Cell],
) -> tuple[Cell | None, set[Cell]]:
    """Derive what single relations reveal.

    Returns:
        A cell to hide next if a small group leaks (else ``None``), and every cell
        known or derived.
    """
    known = {cell for cell in sizes if cell not in hidden}
    derived_by: dict[Cell, Relation] = {}
    queue = list(relations)
    while queue:
        relation = queue.pop()
        unknown = [c for c in relation.members if c not in known]
        if len(unknown) == 1:
            cell = unknown[0]
            if sizes[cell] < k:
                return _candidate(sizes, relation, hidden, derived_by), known
            known.add(cell)
            derived_by[cell] = relation
            queue.extend(by_cell[cell])
        elif relation.parent in known and len(unknown) > 1:
            # each unknown child holds at least one comment, so the largest one can
            # hold is the known sum less one per other child
            if sum(sizes[c] for c in unknown) - (len(unknown) - 1) < k:
                return _candidate(sizes, relation, hidden, derived_by), known
    return None, known


def _candidate(
    sizes: Mapping[Cell, int],
    relation: Relation,
    hidden: set[Cell],
    derived_by: Mapping[Cell, Relation],
) -> Cell:
    """Pick the cell whose hiding breaks the derivation through ``relation``.

    Candidates are the visible cells of the relation and of every relation that
    derived one of its hidden members, so a fine cell is preferred to a marginal.
    """
    seen: set[Relation] = set()
    pending = [relation]
    visible: set[Cell] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        visible.update(c for c in current.members if c not in hidden)
        pending.extend(derived_by[c] for c in current.members if c in derived_by)
    pool = visible or {c for c in sizes if c not in hidden}
    return min(pool, key=lambda c: _order(sizes, c))


def _bound_leaks(
    sizes: Mapping[Cell, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    k: int,
    hidden: set[Cell],
    unknown: set[Cell],
    reach: dict[Cell, float],
) -> set[Cell]:
    """Audit the largest size each small unknown cell can have, given what is published.

    ``unknown`` is ``hidden`` less what propagation derived. Within each connected group
    of unknown cells the relations are equations (known cells are constants) and every
    unknown cell holds at least one comment; a small cell whose largest feasible size is
    below ``k`` leaks (a cell pinned to its size is the extreme case). One cell to hide
    is returned per leak.

    ``reach`` keeps, per cell, the largest value seen in any feasible solution: hiding
    more cells only relaxes the equations (the true sizes of newly hidden cells extend
    an old solution), so a cell once seen at ``k`` or more needs no new programme.
    """
    from scipy.optimize import linprog

    fixes: set[Cell] = set()
    for component in _components(relations, unknown):
        small = [c for c in component if sizes[c] < k]
        if not small:
            continue
        index = {cell: i for i, cell in enumerate(component)}
        rows = [r for r in relations if any(c in index for c in r.members)]
        matrix = np.zeros((len(rows), len(component)))
        bound = np.zeros(len(rows))
        for i, relation in enumerate(rows):
            for sign, cells in ((1.0, (relation.parent,)), (-1.0, relation.children)):
                for cell in cells:
                    if cell in index:
                        matrix[i, index[cell]] = sign
                    else:
                        bound[i] -= sign * sizes[cell]
        _spread(component, index, matrix, bound, small, k, reach)
        for cell in small:
            if reach.get(cell, 0.0) >= k - _TOL:
                continue
            objective = np.zeros(len(component))
            objective[index[cell]] = -1.0
            best = linprog(objective, A_eq=matrix, b_eq=bound, bounds=(1, None), method="highs")
            if best.status == 3:  # unbounded: nothing caps it
                reach[cell] = np.inf
            elif best.status == 0:
                for other, value in zip(component, best.x, strict=True):
                    reach[other] = max(reach.get(other, 0.0), float(value))
            # a programme that fails numerically (status 1, 2, 4) counts as a leak
            if best.status != 3 and (best.status != 0 or -best.fun < k - _TOL):
                fix = _neighbour(sizes, by_cell, [cell], hidden | fixes)
                if fix is not None:  # one per component: it may mend its other leaks too
                    fixes.add(fix)
                    break
    return fixes


def _spread(
    component: Sequence[Cell],
    index: Mapping[Cell, int],
    matrix: np.ndarray,
    bound: np.ndarray,
    small: Sequence[Cell],
    k: int,
    reach: dict[Cell, float],
) -> None:
    """One programme that lifts every small cell towards ``k`` at once (into ``reach``).

    Maximises the sum of ``min(x_c, k)`` over the small cells not yet seen at ``k``;
    most reach it together, so few need a programme of their own.
    """
    from scipy.optimize import linprog

    pending = [c for c in small if reach.get(c, 0.0) < k - _TOL]
    if len(pending) < 2:
        return
    n, m = len(component), len(pending)
    objective = np.concatenate([np.zeros(n), -np.ones(m)])
    equal = np.hstack([matrix, np.zeros((matrix.shape[0], m))])
    below = np.zeros((m, n + m))  # y_c - x_c <= 0
    for j, cell in enumerate(pending):
        below[j, index[cell]], below[j, n + j] = -1.0, 1.0
    bounds = [(1.0, None)] * n + [(0.0, float(k))] * m
    best = linprog(objective, A_ub=below, b_ub=np.zeros(m), A_eq=equal, b_eq=bound,
                   bounds=bounds, method="highs")  # fmt: skip
    if best.status == 0:
        for cell, value in zip(component, best.x[:n], strict=True):
            reach[cell] = max(reach.get(cell, 0.0), float(value))


def _components(relations: Sequence[Relation], hidden: set[Cell]) -> list[list[Cell]]:
    """Hidden cells grouped by the relations that link them (union-find)."""
    parent = {cell: cell for cell in hidden}

    def find(cell: Cell) -> Cell:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for relation in relations:
        members = [c for c in relation.members if c in parent]
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    groups: dict[Cell, list[Cell]] = defaultdict(list)
    for cell in sorted(hidden, key=repr):
        groups[find(cell)].append(cell)
    return list(groups.values())


def _neighbour(
    sizes: Mapping[Cell, int],
    by_cell: Mapping[Cell, list[Relation]],
    cells: Sequence[Cell],
    hidden: set[Cell],
) -> Cell | None:
    """A visible cell in a relation with ``cells``, else with hidden cells linked to them.

    ``None`` when every cell is hidden already (nothing published, nothing to derive).
    """
    near = {c for cell in cells for r in by_cell.get(cell, ()) for c in r.members}
    adjacent = [c for c in near if c not in hidden]
    if adjacent:
        return min(adjacent, key=lambda c: _order(sizes, c))
    component, pending = set(cells), list(cells)
    near = set()
    while pending:
        for relation in by_cell.get(pending.pop(), ()):
            for c in relation.members:
                if c not in hidden:
                    near.add(c)
                elif c not in component:
                    component.add(c)
                    pending.append(c)
    pool = near or {c for c in sizes if c not in hidden}
    return min(pool, key=lambda c: _order(sizes, c), default=None)
