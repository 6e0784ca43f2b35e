"""``encoder.v1``: clause scores from the encoder's sentiment head, blended with the lexicon.

The lexicon keeps the explanation (the polar words of each clause); the encoder reads the
whole clause, so it handles what no word list has (context, paraphrase, unseen words).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from nlp.comment_model import DEFAULT_ENCODER
from nlp.doc import Doc
from nlp.encoder.model import load_encoder
from nlp.registry import sentiment_backends
from nlp.sentiment.base import ClauseScore, SentimentBackend
from nlp.sentiment.lexicon import LexiconSentiment

__all__ = ["EncoderSentiment"]


@sentiment_backends.register("encoder.v1")
class EncoderSentiment(SentimentBackend):
    """Clause score = ``encoder_scale`` × (P(pos) − P(neg)) + ``lexicon_weight`` × lexicon.

    The defaults were chosen on tune for per-theme polarity (0.831 at 1.0 / 0.5, 0.850 at
    0.75 / 1.5): in context the encoder lets a comment's complaint leak into its praised
    clause (「資格手当が新設されたのは嬉しい。ただ…」), and the lexicon's words hold it.
    """

    name: ClassVar[str] = "encoder.v1"
    batch_size: ClassVar[int] = 256

    def __init__(
        self,
        model: str = DEFAULT_ENCODER,
        encoder_scale: float = 0.75,
        lexicon_weight: float = 1.5,
        quantize: bool = False,
        lexicon_path: str | None = None,
    ) -> None:
        self.model = load_encoder(model, quantize)
        self.lexicon = LexiconSentiment(lexicon_path)
        self.encoder_scale = encoder_scale
        self.lexicon_weight = lexicon_weight

    def score_batch(self, docs: Sequence[Doc]) -> list[list[ClauseScore]]:
        """Score every clause of every doc (one encoder pass, shared with the comment model)."""
        lexical = self.lexicon.score_batch(docs)
        polarity = self.model.clause_polarity(docs)
        return [
            [
                ClauseScore(
                    self.encoder_scale * float(p) + self.lexicon_weight * score.score,
                    score.items,
                )
                for score, p in zip(doc_scores, doc_polarity, strict=False)
            ]
            for doc_scores, doc_polarity in zip(lexical, polarity, strict=True)
        ]
