"""Turn validated request bodies into store records, applying the request limits."""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Sequence

from nlp.results import RESULT_KEYS
from service.analysis import check_attributes, too_long, too_many_attributes
from service.api.json_items import comment_items
from service.api.schemas.analyses import CommentIn
from service.errors import BatchTooLarge, InvalidParameter
from service.storage import NewComment

__all__ = ["check_group_columns", "check_json_sizes", "new_comments", "request_hash"]


def check_json_sizes(data: bytes, *, max_comments: int, max_attributes: int) -> None:
    """Count a JSON body's comments and their ``attributes`` before it is parsed whole.

    A body that is not UTF-8 JSON of the expected shape passes: its parse says what is
    wrong.

    Raises:
        BatchTooLarge: more than ``max_comments`` comments or ``max_attributes`` attribute
            values, found as soon as the count passes the limit.
    """
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError:
        return
    attributes = 0
    for position, item in enumerate(comment_items(text), start=1):
        if position > max_comments:
            raise BatchTooLarge(
                f"more than {max_comments:,} comments in one request; the limit is "
                f"{max_comments:,}. Split the batch into several jobs."
            )
        if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
            attributes += len(item["attributes"])
            if attributes > max_attributes:
                raise too_many_attributes(max_attributes)


def new_comments(
    comments: Sequence[CommentIn], *, max_comments: int, max_chars: int, hint: str
) -> list[NewComment]:
    """Check the limits and convert; ids default to 1-based positions.

    A comment longer than ``max_chars`` gets a ``text_too_long`` error of its own (the
    others are analysed).

    Raises:
        BatchTooLarge: more than ``max_comments`` comments (``hint`` says what to do).
        InvalidParameter: an attribute is named like a result field.
    """
    if len(comments) > max_comments:
        raise BatchTooLarge(
            f"{len(comments):,} comments in one request; the limit is {max_comments:,}. {hint}"
        )
    converted = [
        NewComment(
            ext_id=str(position) if c.id is None else str(c.id),
            text=c.text,
            attributes=dict(c.attributes),
            error_code="text_too_long" if (long := too_long(c.text, max_chars)) else None,
            error_message=long,
        )
        for position, c in enumerate(comments, start=1)
    ]
    check_attributes(converted)
    return converted


def check_group_columns(columns: Sequence[str], limit: int) -> list[str]:
    """Validate declared group columns.

    Raises:
        InvalidParameter: duplicates, reserved names, or more than ``limit`` columns.
    """
    cleaned = [c.strip() for c in columns if c.strip()]
    if len(set(cleaned)) != len(cleaned):
        raise InvalidParameter("group_columns names a column twice", code="invalid_group_columns")
    if len(cleaned) > limit:
        raise InvalidParameter(
            f"{len(cleaned)} group columns ({', '.join(cleaned)}); reports support at most "
            f"{limit}: name fewer in group_columns",
            code="invalid_group_columns",
        )
    reserved = RESULT_KEYS.intersection(cleaned)
    if reserved:
        raise InvalidParameter(
            f"group column {sorted(reserved)[0]!r} is a result field name",
            code="invalid_group_columns",
        )
    return cleaned


def request_hash(parts: dict[str, object], payload: bytes = b"") -> str:
    """Fingerprint of a request for idempotency: canonical JSON of ``parts`` + ``payload``."""
    digest = hashlib.sha256(
        json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    )
    digest.update(b"\0")
    digest.update(payload)
    return digest.hexdigest()
