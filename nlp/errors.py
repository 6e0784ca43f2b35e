"""The one error tree of the koe library; each class carries a stable ``code``.

::

    FeedbackError
    ├── ConfigError
    │   ├── UnknownBackendError (also KeyError)
    │   └── UnknownPackError (also KeyError)
    ├── MissingDependencyError
    ├── ModelLoadError
    ├── PackError
    └── InputError
        ├── EmptyTextError
        ├── TextTooLongError
        ├── DecodeError
        └── ColumnError

The service maps ``code`` to RFC 9457 problem+json; the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ColumnError",
    "ConfigError",
    "DecodeError",
    "EmptyTextError",
    "FeedbackError",
    "InputError",
    "MissingDependencyError",
    "ModelLoadError",
    "PackError",
    "TextTooLongError",
    "UnknownBackendError",
    "UnknownPackError",
]


class FeedbackError(Exception):
    """Base of every error raised on purpose by koe."""

    code: str = "feedback_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(FeedbackError):
    """A configuration value is invalid."""

    code = "config_error"


class UnknownBackendError(ConfigError, KeyError):
    """A backend name is not in its registry."""

    code = "unknown_backend"

    def __init__(self, kind: str, name: str, available: Iterable[str]) -> None:
        names = ", ".join(sorted(available)) or "(none)"
        super().__init__(f"unknown {kind} {name!r}; available: {names}")


class UnknownPackError(ConfigError, KeyError):
    """A theme pack id is neither built in nor a readable file."""

    code = "unknown_pack"

    def __init__(self, name: str, available: Iterable[str], problem: str = "") -> None:
        names = ", ".join(sorted(available))
        what = f"theme pack file {name!r} {problem}" if problem else f"unknown theme pack {name!r}"
        super().__init__(
            f"{what}; available packs: {names} (or give the path of a pack .yaml file)"
        )


class MissingDependencyError(FeedbackError):
    """An optional package needed by the chosen backend is not installed."""

    code = "missing_dependency"


class ModelLoadError(FeedbackError):
    """A model directory or file could not be loaded."""

    code = "model_load_error"


class PackError(FeedbackError):
    """A theme pack file is malformed."""

    code = "invalid_pack"


class InputError(FeedbackError):
    """The input data cannot be analysed as given."""

    code = "invalid_input"


class EmptyTextError(InputError):
    """A comment has no text after normalisation."""

    code = "empty_text"


class TextTooLongError(InputError):
    """A comment is longer than the configured limit."""

    code = "text_too_long"

    @classmethod
    def of(cls, length: int, limit: int) -> TextTooLongError:
        """The error of a comment of ``length`` characters (one message everywhere)."""
        return cls(
            f"the comment has {length:,} characters; the limit is {limit:,} characters per comment"
        )


class DecodeError(InputError):
    """Input bytes could not be decoded in any supported encoding."""

    code = "decode_error"


class ColumnError(InputError):
    """A required column or field is missing from tabular input."""

    code = "missing_column"
