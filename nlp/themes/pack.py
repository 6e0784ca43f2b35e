"""Theme packs: the taxonomy of ``shared/design/taxonomy.md`` as versioned YAML data.

Two packs ship with koe (``employee`` and ``customer``, under ``nlp/themes/packs/``);
a user can load their own file with the same schema.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nlp.errors import PackError, UnknownPackError

__all__ = [
    "AlertReason",
    "Label",
    "Polarity",
    "Theme",
    "ThemeExample",
    "ThemePack",
    "available_packs",
    "load_pack",
]

logger = logging.getLogger(__name__)

Polarity = Literal["positive", "negative", "neutral"]
#: the reasons of ``nlp/data/alerts.yaml`` a theme may raise or be signalled by
AlertReason = Literal["harassment", "self_harm", "safety", "compliance", "threat"]

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
_PACK_SUFFIXES = (".yaml", ".yml")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Label(_Frozen):
    """A text in Japanese and English."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ThemeExample(_Frozen):
    """A short comment that talks about the theme, with the theme's polarity in it."""

    text: str = Field(min_length=1)
    polarity: Polarity


class Theme(_Frozen):
    """One theme: stable id, labels, and the cue expressions that signal it.

    Cues are matched on the lemmas of content words (see :class:`nlp.themes.ThemeMatcher`);
    ``…`` inside a cue allows a gap of up to four words. A cue match that shares a word
    with a match of one of the theme's ``exclude`` expressions is dropped.
    """

    id: str = Field(pattern=_ID_PATTERN)
    label: Label
    description: Label | None = None
    cues: tuple[str, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    examples: tuple[ThemeExample, ...] = ()
    #: alert reasons (``harassment``, ``self_harm``, ``safety``, ``compliance``, ``threat``)
    #: that also signal this theme: a report of misconduct is about harassment/compliance
    alert_reasons: tuple[AlertReason, ...] = ()
    #: alert reason raised when this theme is found in a negative clause (the taxonomy:
    #: harassment "always raises an alert"); positive mentions and questions do not
    raises_alert: AlertReason | None = None

    @field_validator("cues", "exclude")
    @classmethod
    def _check_expressions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(value.strip() for value in values)
        if any(not value for value in cleaned):
            raise ValueError("expressions must not be empty")
        listed = [value for value in cleaned if any(mark in value for mark in "、，,／")]
        if listed:  # 「食堂、ランチ」 as one cue would match only the whole phrase
            raise ValueError(f"one expression per list item, not {listed[0]!r}")
        duplicates = sorted({value for value in cleaned if cleaned.count(value) > 1})
        if duplicates:
            raise ValueError(f"duplicate expressions: {', '.join(duplicates)}")
        return cleaned


class ThemePack(_Frozen):
    """A versioned set of themes for one kind of feedback (``employee``, ``customer``)."""

    id: str = Field(pattern=_ID_PATTERN)
    version: int = Field(ge=1)
    label: Label
    description: Label | None = None
    themes: tuple[Theme, ...] = Field(min_length=1)

    @field_validator("themes")
    @classmethod
    def _check_unique_ids(cls, themes: tuple[Theme, ...]) -> tuple[Theme, ...]:
        ids = [theme.id for theme in themes]
        duplicates = sorted({theme_id for theme_id in ids if ids.count(theme_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate theme ids: {', '.join(duplicates)}")
        return themes

    @property
    def theme_ids(self) -> tuple[str, ...]:
        """The theme ids in pack order."""
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme:
        """Return the theme with id ``theme_id``.

        Raises:
            KeyError: no theme of the pack has this id.
        """
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)


def available_packs() -> list[str]:
    """Return the ids of the built-in packs, sorted.

    Example:
        >>> available_packs()
        ['customer', 'employee']
    """
    return list(_builtin_ids())


def load_pack(name_or_path: str) -> ThemePack:
    """Load a built-in pack by id, or a user pack from a ``.yaml``/``.yml`` file.

    Built-in packs are read once per process and shared.

    Args:
        name_or_path: a built-in pack id (see :func:`available_packs`) or a file path.

    Returns:
        The validated pack.

    Raises:
        UnknownPackError: neither a built-in id nor an existing pack file.
        PackError: the file is not valid YAML or does not follow the pack schema.

    Example:
        >>> load_pack("employee").theme_ids[:3]
        ('psychological_safety', 'fairness', 'transparency')
    """
    if name_or_path in _builtin_ids():
        return _load_builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() in _PACK_SUFFIXES and path.is_file():
        try:
            source = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise PackError(f"theme pack {path.name}: save it as UTF-8") from None
        except OSError as exc:
            raise PackError(f"theme pack {path.name}: cannot read file: {exc}") from exc
        return _parse(source, path.name)
    problem = ""
    if path.suffix.lower() in _PACK_SUFFIXES:  # meant as a file: say what is wrong with it
        problem = "is a folder" if path.is_dir() else "does not exist"
    raise UnknownPackError(name_or_path, available_packs(), problem)


@functools.cache
def _builtin_ids() -> tuple[str, ...]:
    return tuple(
        sorted(
            entry.name.rsplit(".", 1)[0]
            for entry in _packs_dir().iterdir()
            if entry.name.endswith(_PACK_SUFFIXES)
        )
    )


@functools.cache
def _load_builtin(name: str) -> ThemePack:
    filename = f"{name}.yaml"
    pack = _parse(_packs_dir().joinpath(filename).read_text(encoding="utf-8"), filename)
    logger.debug("loaded theme pack %s v%d (%d themes)", pack.id, pack.version, len(pack.themes))
    return pack


def _parse(source: str, filename: str) -> ThemePack:
    try:
        data: Any = yaml.load(source, Loader=_UniqueKeyLoader)  # noqa: S506 — a SafeLoader
    except RecursionError:
        raise PackError(f"theme pack {filename}: nested too deeply") from None
    except yaml.YAMLError as exc:
        raise PackError(
            f"theme pack {filename}: invalid YAML: {' '.join(str(exc).split())}"
        ) from exc
    if not isinstance(data, dict):
        raise PackError(f"theme pack {filename}: expected a mapping with id, version, themes")
    try:
        return ThemePack.model_validate(data)
    except ValidationError as exc:
        raise PackError(f"theme pack {filename}: {_one_line(exc)}") from None


def _one_line(exc: ValidationError) -> str:
    """Pydantic's errors as ``themes.0.label.en: Field required; …`` (three at most)."""
    errors = exc.errors(include_url=False)
    # a tuple whose item failed also reports itself too short: only the item's error counts
    errors = [
        e
        for e in errors
        if e["type"] != "too_short"
        or not any(len(o["loc"]) > len(e["loc"]) and o["loc"][: len(e["loc"])] == e["loc"]
                   for o in errors)
    ]  # fmt: skip
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
        + (f" (got {e['input']!r})" if isinstance(e.get("input"), bool | int | float) else "")
        for e in errors[:3]
    ]
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return "; ".join(parts) + more


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key written twice (YAML would keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _packs_dir() -> Traversable:
    return resources.files("nlp.themes").joinpath("packs")
