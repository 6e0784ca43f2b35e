"""Walk the comments of a JSON request body one at a time, before it is parsed whole.

Parsing builds every value of a body at once, and pydantic keeps a tree and a model per
value: 64 MB of one-character comments (5 million) cost 3.6 GB before the limit of
100,000 comments per job could be checked. :func:`comment_items` decodes the items of the
``comments`` array one by one, so limits can be checked while the memory stays that of
one item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from typing import Any

__all__ = ["comment_items"]

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def comment_items(text: str) -> Iterator[Any]:
    """Yield the items of a body's ``comments`` arrays (an array body's own items).

    The walk ends quietly where the text is not that shape or not JSON: the full parse
    that follows says what is wrong.
    """
    try:
        pos = _skip(text, 0)
        if text.startswith("[", pos):
            yield from _array(text, pos)
            return
        if not text.startswith("{", pos):
            return
        pos = _skip(text, pos + 1)
        while text.startswith('"', pos):
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if not text.startswith(":", pos):
                return
            pos = _skip(text, pos + 1)
            if key == "comments" and text.startswith("[", pos):
                # every "comments" array: the parse keeps the last of a repeated key
                pos = yield from _array(text, pos)
            else:
                _, pos = _DECODER.raw_decode(text, pos)  # another member: pack, group_columns
            pos = _skip(text, pos)
            if not text.startswith(",", pos):
                return
            pos = _skip(text, pos + 1)
    except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
        return


def _array(text: str, pos: int) -> Generator[Any, None, int]:
    """Items of the array whose ``[`` is at ``pos``; returns the position after its ``]``.

    Raises:
        ValueError: the array does not close where its items end.
    """
    pos = _skip(text, pos + 1)
    if not text.startswith("]", pos):
        while True:
            item, pos = _DECODER.raw_decode(text, pos)
            yield item
            pos = _skip(text, pos)
            if not text.startswith(",", pos):
                break
            pos = _skip(text, pos + 1)
    if not text.startswith("]", pos):
        raise ValueError("unclosed array")
    return pos + 1


def _skip(text: str, pos: int) -> int:
    """Position after JSON whitespace at ``pos``."""
    match = _SPACE.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()
