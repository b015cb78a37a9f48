"""Why a text got its score: each kept token's contribution to the logit.

``logit = base + sum(contributions)`` exactly (to float rounding), and ``sigmoid(logit)`` is
the score ``predict`` returns. ``base`` is **the logit of the empty text** (a constant of the
model), so a contribution says how far that token moved the text away from "no words at all".

How each part of the model is split (docs/explain.md has the derivations):

* **Bag of words** (head ``mean_with_bag``): exact. The bag is a sum over ids divided by the
  text's count; each token gets its own term, and the start id's share, diluted as words are
  added, is split equally among the tokens (they all dilute it alike).
* **Word pairs**: exact. Each pair's term is shared half and half by its two words; a pair
  with the start id goes wholly to its word.
* **Subwords**: exact. Each character n-gram's term goes to the word it was cut from.
* **RNN** (every rnn head) and **multi-hot dense**: integrated gradients, in NumPy, along the
  straight path from the empty text's input to this text's input (the RNN's projected inputs
  and its step mask; the multi-hot vector), 32-point Gauss-Legendre for the smooth RNN and a
  256-point midpoint rule for the piecewise-linear ReLU layers. What quadrature misses
  (measured: well under 1e-4 of a logit) is spread over the tokens in proportion to their
  attributions, so the sum is exact. A column's credit goes to the token the text has there;
  credit of the start id's column is split equally among the tokens.

Everything runs from ``weights.npz`` (float64), so every backend's bundle can be explained
without TensorFlow or onnxruntime. Each architecture's part is its module's ``Attribution``
(edge_sentiment/architectures/); this module finds the tokens and puts the parts together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .architectures import architecture
from .bundle import Bundle
from .constants import LAST_SPECIAL_ID, START_ID
from .encoding import Encoder
from .text import token_spans


@dataclass(frozen=True)
class TokenContribution:
    """One kept token: its text, its characters ``text[start:end]``, and its logit contribution."""

    token: str
    start: int
    end: int
    contribution: float


@dataclass(frozen=True)
class Explanation:
    """``base + sum(t.contribution for t in tokens) == logit``; ``sigmoid(logit) == score``."""

    text: str
    label: str
    score: float
    logit: float
    #: The logit of the empty text.
    base: float
    tokens: list[TokenContribution]

    def top(self, count: int) -> list[TokenContribution]:
        """The ``count`` tokens with the largest contributions, either way."""
        return sorted(self.tokens, key=lambda t: -abs(t.contribution))[:count]

    def to_dict(self) -> dict:
        return {"text": self.text, "label": self.label, "score": self.score, "logit": self.logit,
                "base": self.base, "tokens": [asdict(t) for t in self.tokens]}


class Explainer:
    """Contributions for one bundle's model, for any of its outputs: the weights (float64) and
    the encoder are read once; each output's part is built the first time it is explained."""

    def __init__(self, bundle: Bundle, encoder: Encoder | None = None) -> None:
        """``encoder``: the bundle's encoder to share (its words' subword ids, hashed once), or None."""
        from .backends.numpy import read_weights

        self.bundle = bundle
        self.encoder = encoder if encoder is not None else Encoder(bundle.vocab, bundle.encoding)
        self.maxlen = bundle.io.maxlen
        self._weights = {k: v.astype(np.float64) for k, v in read_weights(bundle).items()}
        self.empty_row = self._row(self.encoder.kept_array(""), "")
        self._parts: dict[int, tuple] = {}  # output column -> (its Attribution, the empty text's logit)

    def _part(self, column: int) -> tuple:
        """Output ``column``'s Attribution and its base (the logit of the empty text)."""
        if column not in self._parts:  # (a race builds two equal ones)
            model = self.bundle.manifest.model
            part = architecture(model).Attribution(self._weights, model, column, self.encoder)
            self._parts[column] = (part, part.logit(self.empty_row))
        return self._parts[column]

    def _row(self, kept, text: str) -> np.ndarray:
        """The padded input row of a text whose kept ids are ``kept`` (and subwords, if any)."""
        subwords = [self.encoder.kept_subwords(text)] if self.encoder.subwords is not None else None
        return self.encoder.pad([np.asarray(kept, dtype=np.int32)], subwords)[0]

    def explain(self, text: str, score: float, label: str, column: int = 0) -> Explanation:
        """``text``'s explanation for output ``column`` (a label's index; 0 for binary), whose
        label and score the caller gives."""
        part, base = self._part(column)
        spans = token_spans(text, self.bundle.encoding.symbols)
        positions, kept = self._kept(spans, text)  # token index per kept id (-1: the start id)
        row = self._row(kept, text)
        offset = self.maxlen - len(kept) if self.bundle.encoding.padding == "pre" else 0
        tokens = [i for i in positions if i >= 0]
        contributions = np.zeros(len(spans))
        logit = part.logit(row)
        # credit of the start id (or of padding), split equally among the tokens
        shared = part.attribute(row, self.empty_row, positions, kept, offset, contributions,
                                [token for token, _, _ in spans])
        if tokens:
            contributions[tokens] += shared / len(tokens)
        listed = [TokenContribution(spans[i][0], spans[i][1], spans[i][2], float(contributions[i])) for i in tokens]
        return Explanation(text, label, float(score), logit, base, listed)

    def _kept(self, spans, text: str) -> tuple[list[int], list[int]]:
        """The kept ids of ``text`` and, for each, the index of its token (-1: the start id)."""
        config = self.encoder.config
        ids = self.encoder.token_ids([token for token, _, _ in spans])
        sequence = [(-1, START_ID)] + list(enumerate(ids))
        if config.drop_special:
            sequence = [(i, k) for i, k in sequence if k > LAST_SPECIAL_ID]
        sequence = sequence[-config.maxlen:] if config.truncating == "pre" else sequence[: config.maxlen]
        positions, kept = [i for i, _ in sequence], [k for _, k in sequence]
        if kept != self.encoder.kept_ids(text):
            raise RuntimeError("explain: the tokens with spans do not give the encoder's ids; please report this text")
        return positions, kept
