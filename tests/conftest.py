"""Shared fixtures: a deterministic pipeline on the tiny test lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.pipeline import Pipeline, PipelineConfig

FIXTURES = Path(__file__).parent / "fixtures"
TINY_LEXICON = str(FIXTURES / "tiny_lexicon.tsv")


@pytest.fixture(scope="session")
def tiny_config() -> PipelineConfig:
    """Pipeline config whose sentiment comes from a 13-entry lexicon (exact scores)."""
    return PipelineConfig(sentiment_options={"lexicon_path": TINY_LEXICON}, comment_model=None)


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_config: PipelineConfig) -> Pipeline:
    return Pipeline(tiny_config)
