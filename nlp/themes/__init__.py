"""Taxonomy themes: theme packs (YAML data) and the cue matcher over tokens."""

from __future__ import annotations

from nlp.themes.matcher import MAX_GAP, ThemeMatch, ThemeMatcher
from nlp.themes.pack import (
    Label,
    Polarity,
    Theme,
    ThemeExample,
    ThemePack,
    available_packs,
    load_pack,
)

__all__ = [
    "Label",
    "MAX_GAP",
    "Polarity",
    "Theme",
    "ThemeExample",
    "ThemeMatch",
    "ThemeMatcher",
    "ThemePack",
    "available_packs",
    "load_pack",
]
