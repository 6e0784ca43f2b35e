"""The transformers comment model: encoder, clause backend ``encoder.v1`` and training.

Importing this package needs torch and transformers; ``nlp`` imports it only when a
pipeline config names an encoder model or the ``encoder.v1`` backend.
"""

from nlp.comment_model import is_encoder_dir
from nlp.encoder.model import EncoderCommentModel, load_encoder

__all__ = ["EncoderCommentModel", "is_encoder_dir", "load_encoder"]
