"""Named pipeline profiles: speed against accuracy, one word on the command line.

- ``fast``: lexicon clause scores decide everything (no trained model).
- ``standard``: + the linear comment model (character n-grams) for labels, alerts, themes
  (the comment label: 70 % its probabilities, 30 % the clause scores', ``clause_weight``).
- ``accurate`` (the default): + the transformers encoder: clause scores from
  ``encoder.v1``, comment probabilities averaged over the encoder and the linear model
  (and 15 % the clause scores' label, as in ``standard``).
"""

from __future__ import annotations

from typing import Any

from nlp.comment_model import DEFAULT_ENCODER, DEFAULT_LINEAR
from nlp.errors import ConfigError
from nlp.pipeline import PipelineConfig

__all__ = ["DEFAULT_ENCODER", "DEFAULT_PROFILE", "PROFILES", "profile_config"]

#: the profile of ``nlp.analyze``, ``koe analyze`` and the API unless told otherwise: the
#: best on themes, theme polarity and alerts (dev, tune and the held-out checks), at
#: 540–630 comments/s in one process on 2 cores (median 605 in the latest round; 620–810
#: with two processes; see the README's "Speed")
DEFAULT_PROFILE = "accurate"


def _accurate(encoder: str) -> dict[str, Any]:
    return {
        "sentiment_backend": "encoder.v1",
        "sentiment_options": {"model": encoder},
        "comment_model": (DEFAULT_LINEAR, encoder),
        # chosen on data/tune.jsonl (0.0–0.5 tried): more encoder weight loses accuracy
        "comment_model_weights": (0.8, 0.2),
        # chosen on data/tune.jsonl (veto 0.05–0.15 × threshold 0.35–0.5), better on dev
        # and the later files too; the standard profile keeps 0.05 / 0.5 (see the README)
        "theme_veto": 0.1,
        "theme_threshold": 0.45,
        # chosen on data/tune.jsonl (0–0.5 tried); the encoder's clause scores are
        # already in the averaged probabilities, so they take less than in ``standard``
        "clause_weight": 0.15,
    }


PROFILES: dict[str, dict[str, Any]] = {
    "fast": {"comment_model": None},
    "standard": {"comment_model": DEFAULT_LINEAR},
    "accurate": _accurate(DEFAULT_ENCODER),
}


def profile_config(
    name: str, *, encoder: str | None = None, int8: bool = False, **overrides: Any
) -> PipelineConfig:
    """The config of profile ``name``.

    ``encoder`` swaps the accurate profile's model directory; ``int8`` quantises it.
    """
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; available: {', '.join(PROFILES)}")
    values = _accurate(encoder or DEFAULT_ENCODER) if name == "accurate" else PROFILES[name]
    if int8 and name == "accurate":
        options = {**values["sentiment_options"], "quantize": True}
        values = {**values, "quantize": True, "sentiment_options": options}
    return PipelineConfig.model_validate({**values, **overrides})
