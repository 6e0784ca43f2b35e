"""KOE_PROFILE picks the pipeline when no KOE_PIPELINE_CONFIG is given."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.analysis import load_analyzer
from service.settings import Settings


def test_profile_setting_picks_the_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOE_PROFILE", "fast")
    monkeypatch.setenv("KOE_PIPELINE_CONFIG", "")  # empty is unset, not the current folder
    analyzer = load_analyzer(Settings())
    assert analyzer.pipeline.version.endswith("/lexicon.v1")
    assert Settings.model_fields["profile"].default == "accurate"


def test_unknown_profile_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOE_PROFILE", "turbo")
    with pytest.raises(ValidationError, match="profile"):
        Settings()
