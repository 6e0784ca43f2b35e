from __future__ import annotations

import json

import pytest

from service.api.json_items import comment_items


@pytest.mark.parametrize(
    "text",
    [
        '{"comments": [{"text": "a"}, {"text": "b]}"}]}',
        ' \r\n{ "pack" : "employee" , "group_columns": ["dept"],\n "comments":[ {"text": "a"} ,'
        '{"text": "b]}"} ] }',
        '[{"text": "a"}, {"text": "b]}"}]',
    ],
)
def test_items_of_both_shapes(text: str) -> None:
    assert list(comment_items(text)) == [{"text": "a"}, {"text": "b]}"}]
    assert list(comment_items(text)) == (
        json.loads(text) if text.startswith("[") else json.loads(text)["comments"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ('{"comments": []}', []),
        ("[]", []),
        ('{"pack": "x"}', []),
        ('"comments"', []),
        ('{"comments": "none"}', []),
        ('{"pack": {"comments": [1, 2]}, "comments": [3]}', [3]),  # top level only
        ('{"comments": [1, 2 3]}', [1, 2]),  # the parse that follows reports the rest
        ('{"comments": [1, oops]}', [1]),
        ('{"comments": [], "comments": [1, 2]}', [1, 2]),  # the parse keeps the last
        ('{"comments": [1], "pack": "x", "comments": [2]}', [1, 2]),
        ('{"pack" "x", "comments": [1]}', []),
        ("[" * 100_000, []),  # too deep for the decoder
    ],
)
def test_walk_ends_quietly(text: str, expected: list[object]) -> None:
    assert list(comment_items(text)) == expected
