"""The service's view of the ``nlp`` pipeline: load once, analyse records, read uploads.

``nlp`` is imported lazily so that ``koe --help`` and the app factory stay fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nlp.errors import TextTooLongError
from nlp.results import RESULT_KEYS
from service.errors import BatchTooLarge, InvalidParameter
from service.settings import Settings
from service.storage.types import NewComment

if TYPE_CHECKING:
    from nlp import InputRecord, Pipeline

__all__ = [
    "Analyzer",
    "CommentLike",
    "check_attributes",
    "load_analyzer",
    "read_upload",
    "too_long",
    "too_many_attributes",
]

logger = logging.getLogger(__name__)


class CommentLike(Protocol):
    """A comment as stored or as received (``NewComment``, ``StoredComment``)."""

    @property
    def ext_id(self) -> str: ...  # noqa: D102
    @property
    def text(self) -> str | None: ...  # noqa: D102
    @property
    def attributes(self) -> dict[str, Any]: ...  # noqa: D102
    @property
    def pack(self) -> str | None: ...  # noqa: D102
    @property
    def error_code(self) -> str | None: ...  # noqa: D102
    @property
    def error_message(self) -> str | None: ...  # noqa: D102


class Analyzer:
    """A loaded pipeline plus the packs that requests may name."""

    def __init__(self, pipeline: Pipeline, packs: Iterable[str]) -> None:
        self.pipeline = pipeline
        self.packs: tuple[str, ...] = tuple(sorted(set(packs)))

    @property
    def version(self) -> str:
        """Pipeline version string stored with every result."""
        return self.pipeline.version

    @property
    def default_pack(self) -> str:
        """Pack of the pipeline config, used when a request names none."""
        return self.pipeline.config.pack

    def check_pack(self, pack: str) -> str:
        """Return ``pack`` if requests may use it; pack *paths* are never accepted.

        Raises:
            InvalidParameter: the pack is not one the server offers (code ``unknown_pack``).
        """
        if pack not in self.packs:
            raise InvalidParameter(
                f"unknown theme pack {pack!r}; available packs: {', '.join(self.packs)}",
                code="unknown_pack",
            )
        return pack

    def analyze(self, records: Sequence[InputRecord]) -> list[dict[str, Any]]:
        """Analyse records in order; a bad comment gets an ``error``, never an exception."""
        return [result.to_dict() for result in self.pipeline.analyze_records(records)]

    def records(self, comments: Sequence[CommentLike], pack: str) -> list[InputRecord]:
        """Turn comments into pipeline input records (``pack`` unless a comment has one)."""
        from nlp import InputRecord
        from nlp.results import ErrorInfo

        return [
            InputRecord(
                id=c.ext_id,
                text=c.text,
                attributes=c.attributes,
                pack=c.pack or pack,
                error=ErrorInfo(c.error_code, c.error_message or "") if c.error_code else None,
            )
            for c in comments
        ]


def load_analyzer(settings: Settings) -> Analyzer:
    """Build the pipeline from ``KOE_PIPELINE_CONFIG`` (else ``KOE_PROFILE``); loads models once.

    The config's pack is the default of requests that name none; requests may name
    any built-in pack or that one, never a file path.
    """
    from nlp import Pipeline, PipelineConfig, available_packs
    from nlp.profiles import profile_config

    config = (
        PipelineConfig.from_toml(settings.pipeline_config)
        if settings.pipeline_config is not None
        else profile_config(settings.profile)
    )
    pipeline = Pipeline(config)
    packs = set(available_packs()) | {config.pack}
    for pack in packs:
        pipeline.matcher(pack)  # load every matcher now, not on the first request
    logger.info("pipeline %s loaded with packs %s", pipeline.version, sorted(packs))
    return Analyzer(pipeline, packs)


def check_attributes(comments: Iterable[NewComment]) -> None:
    """Refuse attributes named like a result field (they would be shadowed in results).

    Raises:
        InvalidParameter: naming the attribute (code ``reserved_attribute``).
    """
    for position, comment in enumerate(comments, start=1):
        clash = RESULT_KEYS.intersection(comment.attributes)
        if clash:
            raise InvalidParameter(
                f"comment {position} (id {comment.ext_id!r}) has attribute "
                f"{sorted(clash)[0]!r}, which is a result field; rename it "
                f"(reserved: {', '.join(sorted(RESULT_KEYS))})",
                code="reserved_attribute",
            )


def too_long(text: str | None, limit: int) -> str | None:
    """The per-comment error message of a comment over ``limit`` characters, else None."""
    if text is None or len(text) <= limit:
        return None
    return str(TextTooLongError.of(len(text), limit))


def read_upload(
    data: bytes,
    filename: str | None,
    *,
    text_column: str,
    id_column: str,
    group_columns: Sequence[str],
    packs: Sequence[str],
    max_comments: int,
    max_chars: int,
    max_attributes: int,
) -> list[NewComment]:
    """Read an uploaded CSV/TSV/JSONL/JSON/xlsx file as ``koe analyze`` reads it.

    Rows longer than ``max_chars`` get a ``text_too_long`` error and rows naming a pack
    the server does not offer an ``unknown_pack`` error; the other rows are analysed.

    Raises:
        BatchTooLarge: more than ``max_comments`` rows or ``max_attributes`` attribute
            values (a JSONL row keeps every field as an attribute).
        nlp.errors.InputError: undecodable bytes, a missing column, a malformed file.
    """
    from nlp.io import SUFFIX_FORMATS, read_records

    suffix = Path(filename).suffix.lower() if filename else ""
    fmt = SUFFIX_FORMATS.get(suffix)
    comments: list[NewComment] = []
    records = read_records(
        data,
        fmt=fmt,
        text_column=text_column,
        id_column=id_column,
        group_columns=list(group_columns),
    )
    attributes = 0
    for record in records:
        if len(comments) >= max_comments:
            raise BatchTooLarge(
                f"the file has more than {max_comments:,} comments; the limit per job is "
                f"{max_comments:,}: split it into several jobs"
            )
        attributes += len(record.attributes)
        if attributes > max_attributes:
            raise too_many_attributes(max_attributes)
        comments.append(_new_comment(record, packs, max_chars))
    return comments


def too_many_attributes(limit: int) -> BatchTooLarge:
    """The error for a job whose comments carry more than ``limit`` attribute values."""
    return BatchTooLarge(
        f"the comments carry more than {limit:,} attribute values; the limit per job is "
        f"{limit:,}: keep only the attributes reports group by, or split the job"
    )


def _new_comment(record: InputRecord, packs: Sequence[str], max_chars: int) -> NewComment:
    code = record.error.code if record.error else None
    message = record.error.message if record.error else None
    if code is None and (long := too_long(record.text, max_chars)):
        code, message = "text_too_long", long  # the pipeline's code for its own limit
    elif code is None and record.pack is not None and record.pack not in packs:
        code = "unknown_pack"
        message = f"unknown theme pack {record.pack!r}; available packs: {', '.join(packs)}"
    return NewComment(
        ext_id=record.id,
        text=record.text,
        attributes=dict(record.attributes),
        pack=record.pack if code is None else None,
        error_code=code,
        error_message=message,
    )
