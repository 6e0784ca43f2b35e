"""The analysis pipeline: one :class:`CommentAnalysis` per comment.

Normalise → tokenise → segment → sentiment, themes, intent, alerts, PII → redacted
result with every span in original offsets.

A bad comment never fails a batch: it gets an ``error`` and the others go on.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nlp import __version__
from nlp.alerts import add_theme_alerts, detect_alert, implied_themes
from nlp.comment_model import (
    DEFAULT_LINEAR,
    CommentModel,
    EnsembleCommentModel,
    load_comment_model,
)
from nlp.doc import Doc, make_doc
from nlp.errors import (
    ConfigError,
    EmptyTextError,
    FeedbackError,
    TextTooLongError,
    UnknownPackError,
)
from nlp.intent import detect_intent
from nlp.io import InputRecord
from nlp.linear import LinearCommentModel
from nlp.pii import detect_pii
from nlp.registry import sentiment_backends
from nlp.render import MODEL_CUE, build_result
from nlp.results import (
    SENTIMENTS,
    AlertResult,
    CommentAnalysis,
    ErrorInfo,
    Intent,
    Sentiment,
    SentimentScores,
)
from nlp.sentiment import ClauseScore, CombineConfig, SentimentBackend, combine
from nlp.themes import ThemeMatch, ThemeMatcher, available_packs, load_pack

__all__ = ["Pipeline", "PipelineConfig", "analyze"]

logger = logging.getLogger(__name__)


class PipelineConfig(BaseModel):
    """Everything that decides what the pipeline outputs (written next to results)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: theme pack id (``employee``, ``customer``) or path of a pack .yaml file
    pack: str = "employee"
    #: registered sentiment backend name (``koe backends list``): clause scores
    sentiment_backend: str = "lexicon.v1"
    #: trained comment model (a directory, or a name under ``models/``) that decides the
    #: comment's sentiment and intent; several are averaged; ``None`` derives them from
    #: the clause scores
    comment_model: str | tuple[str, ...] | None = DEFAULT_LINEAR
    #: weights of several comment models (default: equal)
    comment_model_weights: tuple[float, ...] = ()
    #: share of the comment label that comes from the clause scores (combined as without a
    #: comment model) next to the comment model's probabilities: the lexicon knows plain
    #: words (不公平, 故障) that the models' training comments rarely used plainly (0.3 for
    #: the standard profile's lexicon clause scores, 0.15 in the accurate profile; both
    #: chosen on data/tune.jsonl)
    clause_weight: float = Field(default=0.3, ge=0, le=1)
    #: a cue-matched theme the comment model gives less than this is dropped (a generic
    #: cue word out of context)
    theme_veto: float = Field(default=0.05, ge=0, le=1)
    #: a theme no cue matched is added when the comment model gives it at least this
    theme_threshold: float = Field(default=0.5, ge=0, le=1)
    #: a comment left with no theme gets the comment model's most likely one when the
    #: model gives it at least this (1: never; 0.2 chosen on the held-out checks)
    theme_fallback: float = Field(default=0.2, ge=0, le=1)
    #: dynamic int8 quantisation of encoder comment models (faster on CPU, see benchmarks)
    quantize: bool = False
    #: keyword arguments of the sentiment backend (e.g. ``{"lexicon_path": "…"}``)
    sentiment_options: dict[str, Any] = Field(default_factory=dict)
    #: comment-level decision thresholds
    combine: CombineConfig = Field(default_factory=CombineConfig)
    #: extra terms to redact as ［固有名］ (department or site names)
    pii_terms: tuple[str, ...] = ()
    #: longer comments get a ``text_too_long`` error instead of a result
    max_chars: int = Field(default=100_000, gt=0)

    @classmethod
    def from_toml(cls, path: str | Path) -> PipelineConfig:
        """Read a config file (see ``configs/standard.toml``)."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise ConfigError(f"invalid pipeline config {path}: save it as UTF-8") from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"invalid pipeline config {path}: {exc}") from exc
        stray = sorted(set(data) - {"pipeline"}) if "pipeline" in data else []
        if stray:  # keys above the [pipeline] line, or other tables: they would be ignored
            raise ConfigError(
                f"invalid pipeline config {path}: only [pipeline] is read, not "
                f"{', '.join(stray)} (keys go under [pipeline])"
            )
        try:
            return cls.model_validate(_beside(data.get("pipeline", data), Path(path).parent))
        except ValidationError as exc:
            raise ConfigError(f"invalid pipeline config {path}: {exc}") from exc


def _beside(values: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``values`` with relative paths that exist next to the config file made absolute.

    A config names its pack file and model directories relative to itself, so it works
    from any working directory. Only values written as paths count (``models/my-model``,
    ``./lexicon.tsv``, ``mine.yaml``): names of shipped models (``linear-ja-v12``) stay
    names even where a folder of that name sits next to the config.
    """

    def near(value: Any) -> Any:
        if not isinstance(value, str) or not _looks_like_path(value):
            return value
        candidate = folder / value
        return str(candidate.resolve()) if candidate.exists() else value

    out = dict(values)
    if "pack" in out:
        out["pack"] = near(out["pack"])
    if isinstance(out.get("comment_model"), list):
        out["comment_model"] = [near(v) for v in out["comment_model"]]
    elif "comment_model" in out:
        out["comment_model"] = near(out["comment_model"])
    if isinstance(out.get("sentiment_options"), dict):
        out["sentiment_options"] = {k: near(v) for k, v in out["sentiment_options"].items()}
    return out


def _looks_like_path(value: str) -> bool:
    """A relative path with a folder or a file suffix, not a bare name."""
    path = Path(value)
    return not path.is_absolute() and ("/" in value or "\\" in value or bool(path.suffix))


@dataclass(slots=True)
class _Pending:
    index: int
    record: InputRecord
    pack: str
    doc: Doc


class Pipeline:
    """Reusable analyser: load once, call :meth:`analyze` or :meth:`analyze_records`.

    Example:
        >>> pipe = Pipeline(PipelineConfig(pack="customer"))
        >>> result = pipe.analyze(["対応がとても丁寧でした"])[0]
        >>> result.sentiment, [t.id for t in result.themes], result.intent
        ('positive', ['support'], 'praise')
    """

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        factory = sentiment_backends.get(self.config.sentiment_backend)
        try:
            self.sentiment = cast(SentimentBackend, factory(**self.config.sentiment_options))
        except TypeError as exc:  # an option this backend does not take
            raise ConfigError(
                f"sentiment_options do not fit {self.config.sentiment_backend}: {exc}"
            ) from None
        if not isinstance(self.sentiment.batch_size, int) or self.sentiment.batch_size < 1:
            raise ConfigError(
                f"{self.config.sentiment_backend}: batch_size must be a positive integer"
            )
        self.comment_model = (
            load_comment_model(
                self.config.comment_model,
                quantize=self.config.quantize,
                weights=self.config.comment_model_weights,
            )
            if self.config.comment_model
            else None
        )
        self._matchers: dict[str, ThemeMatcher] = {}
        self.matcher(self.config.pack)  # fail fast on an unknown default pack

    @property
    def version(self) -> str:
        """Identifies the code and backend that produced a result."""
        model = f"+{self.comment_model.name}" if self.comment_model else ""
        return f"koe-{__version__}/{self.sentiment.name}{model}"

    def matcher(self, pack: str) -> ThemeMatcher:
        """Return the (cached) theme matcher of a pack id or pack file path."""
        if pack not in self._matchers:
            self._matchers[pack] = ThemeMatcher(load_pack(pack))
        return self._matchers[pack]

    def analyze(self, texts: str | Iterable[str], pack: str | None = None) -> list[CommentAnalysis]:
        """Analyse plain texts (one string is one comment); ids are their 1-based positions.

        Raises:
            TypeError: ``texts`` is bytes or a mapping, or holds something else than text
                (decode bytes first; pass a mapping's values).
        """
        if isinstance(texts, str):
            texts = [texts]
        elif isinstance(texts, bytes | bytearray | Mapping):
            raise TypeError(
                f"texts must be a string or an iterable of strings, not {type(texts).__name__}"
            )
        records = []
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str) and text is not None:
                raise TypeError(f"text {i} is {type(text).__name__}, not str")
            records.append(InputRecord(id=str(i), text=text, attributes={}, pack=pack))
        return self.analyze_records(records)

    def analyze_records(self, records: Iterable[InputRecord]) -> list[CommentAnalysis]:
        """Analyse records in order; per-record problems become ``error`` results."""
        results: list[CommentAnalysis | None] = []
        pending: list[_Pending] = []
        for index, record in enumerate(records):
            if not isinstance(record, InputRecord):
                raise TypeError(
                    f"record {index + 1} is {type(record).__name__}, not InputRecord "
                    "(plain texts go to analyze())"
                )
            pack = record.pack or self.config.pack
            try:
                pending.append(_Pending(index, record, pack, self._prepare(record, pack)))
                results.append(None)
            except Exception as exc:  # noqa: BLE001 — one comment must not stop the batch
                results.append(_error_result(record, pack, exc))
        for start in range(0, len(pending), self.sentiment.batch_size):
            chunk = pending[start : start + self.sentiment.batch_size]
            self._finish(chunk, results)
        return [r for r in results if r is not None]

    def _prepare(self, record: InputRecord, pack: str) -> Doc:
        if record.error is not None:
            raise _RecordError(record.error)
        text = record.text or ""
        if not text.strip():
            raise EmptyTextError("the comment is empty")
        if len(text) > self.config.max_chars:
            raise TextTooLongError.of(len(text), self.config.max_chars)
        if pack != self.config.pack and pack not in available_packs():
            # A data row may pick a built-in pack, never a file on this machine.
            raise UnknownPackError(pack, available_packs())
        self.matcher(pack)
        return make_doc(text)

    def _finish(self, chunk: Sequence[_Pending], results: list[CommentAnalysis | None]) -> None:
        try:
            all_scores = self.sentiment.score_batch([p.doc for p in chunk])
            if len(all_scores) != len(chunk):
                raise ValueError(
                    f"{self.sentiment.name} returned {len(all_scores)} results for "
                    f"{len(chunk)} comments"
                )
            labels = self._comment_labels(chunk, all_scores)
            clause_probs = self._clause_probabilities(chunk, labels)
        except Exception as exc:  # noqa: BLE001
            for p in chunk:
                results[p.index] = _error_result(p.record, p.pack, exc)
            return
        for p, scores, predicted in zip(chunk, all_scores, labels, strict=True):
            try:
                results[p.index] = self._result(p, scores, predicted, clause_probs.get(p.index))
            except Exception as exc:  # noqa: BLE001
                results[p.index] = _error_result(p.record, p.pack, exc)

    def _comment_labels(
        self, chunk: Sequence[_Pending], all_scores: Sequence[Sequence[ClauseScore]]
    ) -> list[_Predicted | None]:
        if self.comment_model is None:
            return [None] * len(chunk)
        probs = self.comment_model.predict_docs([p.doc for p in chunk])
        weight = self.config.clause_weight
        predicted: list[_Predicted | None] = []
        for p, scores, sentiment, intent, binary in zip(
            chunk,
            all_scores,
            probs["sentiment"],
            probs.get("intent") or [{}] * len(chunk),
            probs["binary"],
            strict=True,
        ):
            blend = {k: (1 - weight) * sentiment.get(k, 0.0) for k in SENTIMENTS}
            if weight:
                _, clauses = combine(p.doc.clauses, scores, self.config.combine)
                blend = {k: v + weight * getattr(clauses, k) for k, v in blend.items()}
            predicted.append(
                _Predicted(
                    SentimentScores(**{k: round(v, 4) for k, v in blend.items()}),
                    cast(Intent, max(intent, key=intent.__getitem__)) if intent else None,
                    binary.get("alert", 0.0) >= _ALERT_THRESHOLD,
                    {k[6:]: v for k, v in binary.items() if k.startswith("theme:")},
                )
            )
        return predicted

    def _clause_probabilities(
        self, chunk: Sequence[_Pending], labels: Sequence[_Predicted | None]
    ) -> dict[int, list[dict[str, float]]]:
        """The model's binary probabilities for each clause alone, where they are needed.

        They are needed by a mixed comment with a theme the model finds and no cue
        matches: that theme takes the clause the model rates most about it (see
        :func:`_locate_model_themes`). One call per chunk, to the linear model when the
        pipeline has one: an encoder pass over the clauses would cost a quarter of the
        accurate profile's throughput for nearly the same placements (dev polarity 0.886 vs
        0.884).
        """
        wanted = []
        for p, predicted in zip(chunk, labels, strict=True):
            if predicted is None or predicted.label != "mixed" or len(p.doc.clauses) < 2:
                continue
            matcher = self.matcher(p.pack)
            cued = {m.theme_id for m in matcher.match(p.doc.tokens)}
            _, added = _model_themes(predicted.themes, matcher.pack.theme_ids, cued, self.config)
            if added:
                wanted.append(p)
        model = _clause_model(self.comment_model)
        if not wanted or model is None:
            return {}
        docs = [p.doc.clause_doc(i) for p in wanted for i in range(len(p.doc.clauses))]
        if isinstance(model, LinearCommentModel):  # its binary head alone: cheaper
            binary = iter(model.predict_binary(docs))
        else:
            binary = iter(model.predict_docs(docs)["binary"])
        return {p.index: [next(binary) for _ in p.doc.clauses] for p in wanted}

    def _result(
        self,
        p: _Pending,
        scores: Sequence[ClauseScore],
        predicted: _Predicted | None,
        clause_probs: list[dict[str, float]] | None = None,
    ) -> CommentAnalysis:
        doc = p.doc
        if predicted is None:
            label, probabilities = combine(doc.clauses, scores, self.config.combine)
        else:
            probabilities, label = predicted.scores, predicted.label
        matcher = self.matcher(p.pack)
        matches = list(matcher.match(doc.tokens))
        alert = detect_alert(doc, scores)
        add_theme_alerts(matcher.pack, matches, doc, scores, alert)
        if predicted is not None:
            _add_model_findings(predicted, matcher, matches, alert, self.config)
            if clause_probs is not None:
                matches = _locate_model_themes(doc, matches, clause_probs)
        if alert.flag and label == "neutral":
            # A reported assault, fraud or crisis is never a neutral comment.
            label, probabilities = (
                "negative",
                replace(
                    probabilities, negative=probabilities.neutral, neutral=probabilities.negative
                ),
            )
        intent = (predicted and predicted.intent) or detect_intent(doc, label, scores)
        return build_result(
            record=p.record,
            pack=p.pack,
            doc=doc,
            scores=scores,
            sentiment=label,
            probabilities=probabilities,
            themes=[*matches, *implied_themes(matcher.pack, alert, matches)],
            intent=_AGREEING_INTENT.get((intent, label), intent),
            alert=alert,
            pii=detect_pii(doc.text, doc.tokens, self.config.pii_terms),
            combine_config=self.config.combine,
        )


@dataclass(frozen=True, slots=True)
class _Predicted:
    scores: SentimentScores
    intent: Intent | None  # None: the model has no intent head
    alert: bool
    themes: dict[str, float]

    @property
    def label(self) -> Sentiment:
        return max(SENTIMENTS, key=lambda name: getattr(self.scores, name))


#: an intent that contradicts the comment's label, and what it becomes: praise is a
#: positive evaluation and a complaint a negative one (LABEL_GUIDE.md); the intent head
#: does not see the label the clause scores helped decide
_AGREEING_INTENT: dict[tuple[Intent, Sentiment], Intent] = {
    ("praise", "negative"): "complaint",
    ("complaint", "positive"): "praise",
}

#: probability above which the comment model's alert is added
_ALERT_THRESHOLD = 0.5


def _add_model_findings(
    predicted: _Predicted,
    matcher: ThemeMatcher,
    matches: list[ThemeMatch],
    alert: AlertResult,
    config: PipelineConfig,
) -> None:
    """Merge the comment model's judgements into the rule findings.

    Adds the alert and themes the model finds and the rules missed (no evidence span), and
    drops cue matches the model finds unlikely (``theme_veto``: a generic cue word out of
    context).
    """
    if predicted.alert and not alert.flag:
        alert.flag, alert.reasons = True, ["model"]
    cued = {m.theme_id for m in matches}
    kept, added = _model_themes(predicted.themes, matcher.pack.theme_ids, cued, config)
    matches[:] = [m for m in matches if m.theme_id in kept]
    matches.extend(ThemeMatch(theme_id, 0, 0, MODEL_CUE) for theme_id in added)


def _model_themes(
    probs: Mapping[str, float], theme_ids: Sequence[str], cued: set[str], config: PipelineConfig
) -> tuple[set[str], list[str]]:
    """The cued themes the model keeps, and the pack's themes it adds without a cue.

    It keeps a cued theme it gives at least ``theme_veto`` and adds those it gives at
    least ``theme_threshold``; when that leaves the comment with no theme at all, its most
    likely theme if it gives it at least ``theme_fallback`` (comments nearly always have a
    theme; on unfamiliar wording the model is less sure).
    """
    kept = {t for t in cued if probs.get(t, 1.0) >= config.theme_veto}
    candidates = {t: probs[t] for t in theme_ids if t in probs and t not in kept}
    added = sorted(t for t, p in candidates.items() if p >= config.theme_threshold)
    if not kept and not added and candidates and config.theme_fallback < 1:
        best = max(candidates, key=lambda t: candidates[t])
        if candidates[best] >= config.theme_fallback:
            added = [best]
    return kept, added


def _clause_model(model: CommentModel | None) -> CommentModel | None:
    """The model that rates clauses read alone: a linear member if there is one (fast)."""
    members = model.models if isinstance(model, EnsembleCommentModel) else [model]
    return next((m for m in members if isinstance(m, LinearCommentModel)), model)


def _locate_model_themes(
    doc: Doc, matches: list[ThemeMatch], clause_probs: Sequence[dict[str, float]]
) -> list[ThemeMatch]:
    """Give each theme the model found without a cue the clause it rates most about it.

    In a mixed comment a theme's polarity is that of its clauses; ``clause_probs`` holds
    the model's probabilities for each clause read alone.
    """
    located = []
    for m in matches:
        if m.cue == MODEL_CUE:
            key = f"theme:{m.theme_id}"
            best = max(range(len(doc.clauses)), key=lambda i: clause_probs[i].get(key, 0.0))
            m = m._replace(start=doc.clauses[best].start, end=doc.clauses[best].end)
        located.append(m)
    return located


class _RecordError(Exception):
    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


def _error_result(record: InputRecord, pack: str, exc: Exception) -> CommentAnalysis:
    if isinstance(exc, _RecordError):
        info = exc.info
    elif isinstance(exc, FeedbackError):
        info = ErrorInfo(exc.code, exc.message)
    else:
        logger.exception("internal error while analysing comment %s", record.id)
        info = ErrorInfo("internal_error", f"{type(exc).__name__}: {exc}")
    return CommentAnalysis(id=record.id, pack=pack, attributes=dict(record.attributes), error=info)


def analyze(texts: str | Iterable[str], pack: str = "employee") -> list[dict[str, Any]]:
    """Analyse one or more comments with the default pipeline; return JSON-ready dicts.

    Example:
        >>> r = analyze("残業が多すぎて疲れました")[0]
        >>> r["sentiment"], [t["id"] for t in r["themes"]], r["intent"]
        ('negative', ['workload'], 'complaint')
    """
    batch = [texts] if isinstance(texts, str) else list(texts)
    return [r.to_dict() for r in _default_pipeline(pack).analyze(batch)]


_DEFAULT_PIPELINES: dict[str, Pipeline] = {}


def _default_pipeline(pack: str) -> Pipeline:
    from nlp.profiles import DEFAULT_PROFILE, profile_config

    if pack not in _DEFAULT_PIPELINES:
        _DEFAULT_PIPELINES[pack] = Pipeline(profile_config(DEFAULT_PROFILE, pack=pack))
    return _DEFAULT_PIPELINES[pack]
