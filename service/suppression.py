"""Small-group suppression: moved to :mod:`nlp.suppression` (topic summaries use it too).

Re-exported here so that ``service`` code and callers keep importing it from this module.
"""

from __future__ import annotations

from nlp.suppression import Cell, Relation, cells_of, relations_of, suppress

__all__ = ["Cell", "Relation", "cells_of", "relations_of", "suppress"]
