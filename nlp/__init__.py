"""koe's Japanese feedback analysis library (no web or database imports).

Example:
    >>> from nlp import analyze
    >>> analyze("残業が多すぎて疲れました")[0]["sentiment"]
    'negative'
"""

__version__ = "0.1.0"

from nlp.errors import (  # noqa: E402
    ConfigError,
    FeedbackError,
    InputError,
    UnknownBackendError,
    UnknownPackError,
)
from nlp.io import InputRecord, read_records  # noqa: E402
from nlp.pipeline import Pipeline, PipelineConfig, analyze  # noqa: E402
from nlp.profiles import profile_config  # noqa: E402
from nlp.registry import sentiment_backends  # noqa: E402
from nlp.results import CommentAnalysis  # noqa: E402
from nlp.sentiment import SentimentBackend  # noqa: E402
from nlp.themes import ThemePack, available_packs, load_pack  # noqa: E402

__all__ = [
    "CommentAnalysis",
    "ConfigError",
    "FeedbackError",
    "InputError",
    "InputRecord",
    "Pipeline",
    "PipelineConfig",
    "SentimentBackend",
    "ThemePack",
    "UnknownBackendError",
    "UnknownPackError",
    "__version__",
    "analyze",
    "available_packs",
    "load_pack",
    "profile_config",
    "read_records",
    "sentiment_backends",
]
