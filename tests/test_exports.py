"""Public surfaces are explicit: every name in ``__all__`` exists and the list is sorted."""

import importlib

import pytest

MODULES = [
    "nlp",
    "nlp.sentiment",
    "nlp.themes",
    "nlp.errors",
    "nlp.results",
    "nlp.io",
    "nlp.output",
]


@pytest.mark.parametrize("name", MODULES)
def test_exports_all_sorted_and_present(name):
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == []


def test_exports_top_level_entry_points():
    import nlp

    for item in ("analyze", "Pipeline", "PipelineConfig", "SentimentBackend", "load_pack"):
        assert item in nlp.__all__
