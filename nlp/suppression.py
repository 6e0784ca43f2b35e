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
* an exact linear-algebra audit (null space of the relations over the hidden cells)
  catches what needs several equations at once.

Patterns are nested across thresholds: the pattern for ``k`` starts from the one for
``k - 1`` (down to the floor), so comparing reports made with different
``min_group_size`` values reveals nothing the smallest allowed one does not.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Cell", "Relation", "cells_of", "relations_of", "suppress"]

#: a cell: the indices of the grouping's columns, and the values of those columns
Cell = tuple[tuple[int, ...], tuple[Hashable, ...]]

_TOL = 1e-8


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


def suppress(
    sizes: Mapping[Cell, int], relations: Sequence[Relation], k: int, floor: int
) -> set[Cell]:
    """Return the cells to hide at threshold ``k`` (nested over ``floor..k``)."""
    thresholds = sorted({floor, k} | {n + 1 for n in sizes.values() if floor < n + 1 < k})
    hidden: set[Cell] = set()
    for threshold in thresholds:
        hidden |= {cell for cell, n in sizes.items() if n < threshold}
        _complete(sizes, relations, threshold, hidden)
    return hidden


def _complete(
    sizes: Mapping[Cell, int], relations: Sequence[Relation], k: int, hidden: set[Cell]
) -> None:
    by_cell: dict[Cell, list[Relation]] = defaultdict(list)
    for relation in relations:
        for cell in relation.members:
            by_cell[cell].append(relation)
    while True:
        fix, known = _propagation_leak(sizes, relations, by_cell, k, hidden)
        if fix is not None:
            hidden.add(fix)
            continue
        fixes = _algebraic_leaks(sizes, relations, by_cell, k, hidden, hidden - known)
        if not fixes:
            return
        hidden |= fixes


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
        elif unknown and relation.parent in known and sum(sizes[c] for c in unknown) < k:
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


def _algebraic_leaks(
    sizes: Mapping[Cell, int],
    relations: Sequence[Relation],
    by_cell: Mapping[Cell, list[Relation]],
    k: int,
    hidden: set[Cell],
    unknown: set[Cell],
) -> set[Cell]:
    """Exact audit over the relations restricted to the cells still unknown.

    ``unknown`` is ``hidden`` less what propagation derived. A small unknown cell,
    or a small sum of unknown children, is revealed when its indicator vector lies in
    the row space of the relations. Each connected group of unknown cells is solved
    on its own; one cell to hide is returned per leak.
    """
    fixes: set[Cell] = set()
    for component in _components(relations, unknown):
        index = {cell: i for i, cell in enumerate(component)}
        rows = [r for r in relations if any(c in index for c in r.members)]
        matrix = np.zeros((len(rows), len(component)))
        for i, relation in enumerate(rows):
            for sign, cells in ((1.0, (relation.parent,)), (-1.0, relation.children)):
                for cell in cells:
                    if cell in index:
                        matrix[i, index[cell]] = sign
        null = _null_space(matrix)
        leaks = [[c] for c in component if sizes[c] < k and not _any(null[index[c]])]
        for relation in rows:
            kids = [c for c in relation.children if c in index]
            if len(kids) > 1 and sum(sizes[c] for c in kids) < k:
                if not _any(null[[index[c] for c in kids]].sum(axis=0)):
                    leaks.append(kids)
        for leak in leaks:
            fixes.add(_neighbour(sizes, by_cell, leak, hidden | fixes))
    return fixes


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


def _any(vector: np.ndarray) -> bool:
    return bool(np.any(np.abs(vector) > _TOL))


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the null space, one row per unknown."""
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    gram = matrix.T @ matrix
    values, vectors = np.linalg.eigh(gram)
    scale = max(1.0, float(values.max(initial=0.0)))
    return np.asarray(vectors[:, values < _TOL * scale])


def _neighbour(
    sizes: Mapping[Cell, int],
    by_cell: Mapping[Cell, list[Relation]],
    cells: Sequence[Cell],
    hidden: set[Cell],
) -> Cell:
    """A visible cell in a relation with ``cells``, else with hidden cells linked to them."""
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
    return min(pool, key=lambda c: _order(sizes, c))
