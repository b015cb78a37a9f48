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
without TensorFlow or onnxruntime.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .bundle import Bundle
from .constants import LAST_SPECIAL_ID, PAD_ID, START_ID
from .encoding import Encoder
from .model_math import TRIMMABLE_HEADS, model_split, rnn_pad_states
from .pairs import pair_ids
from .subwords import count_ngrams
from .text import token_spans

RNN_NODES = 32
RELU_STEPS = 256


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
    """Contributions for one bundle's model (built once, reused for every text)."""

    def __init__(self, bundle: Bundle, column: int = 0) -> None:
        """``column``: the output whose logit is explained (a label's index; 0 for binary)."""
        from .backends.numpy import read_weights

        self.bundle = bundle
        self.column = column
        self.encoder = Encoder(bundle.vocab, bundle.encoding)
        self.model = bundle.manifest.model
        self.weights = {k: v.astype(np.float64) for k, v in read_weights(bundle).items()}
        self.maxlen = bundle.io.maxlen
        self.subword_scores = None
        if self.model.architecture == "rnn":
            self._prepare_rnn()
        self.empty_row = self._row(self.encoder.kept_array(""), "")
        self.base = self.logit_of(self.empty_row)

    # -- the forward pass, in float64 and in parts ------------------------------------------

    def _prepare_rnn(self) -> None:
        w, model = self.weights, self.model
        self.projected = w["embedding"] @ w["rnn_kernel"] + w["rnn_bias"]
        assert model.rnn_steps is not None  # (an RNN architecture)
        self.window: int = model.rnn_steps
        self.trimmable = model.head in TRIMMABLE_HEADS and self.bundle.encoding.padding == "pre"
        self.pad_states = rnn_pad_states(self.projected[PAD_ID], w["rnn_recurrent"], self.window)
        column = w["dense_kernel"][:, self.column]
        if model.head == "mean_with_bag":
            dense = model_split(column, model)
            assert dense.words is not None  # (the bag head has a word bag)
            self.word_scores = w["embedding"] @ dense.words
            self.pair_scores = w["pair_embedding"] @ dense.pairs if dense.pairs is not None else None
            self.subword_scores = w["subword_embedding"] @ dense.subwords if dense.subwords is not None else None
            self.rnn_weights = dense.rnn
        else:
            self.rnn_weights = column

    def _row(self, kept, text: str) -> np.ndarray:
        """The padded input row of a text whose kept ids are ``kept`` (and subwords, if any)."""
        subwords = [self.encoder.kept_subwords(text)] if self.encoder.subwords is not None else None
        return self.encoder.pad([np.asarray(kept, dtype=np.int32)], subwords)[0]

    def logit_of(self, row: np.ndarray) -> float:
        """The model's logit for one padded input row."""
        bias = float(self.weights["dense_bias"][self.column])
        if self.model.architecture == "multi_hot_dense":
            return bias + float(self._mlp(self._multi_hot(row)[None])[0][0])
        words = row[: self.maxlen]
        total = bias + float(self._rnn_part(*self._rnn_inputs(words, words), alphas=np.ones(1))[0][0])
        if self.model.head == "mean_with_bag":
            total += sum(part.sum() for part in self._bag_terms(row).values())
        return total

    def _bag_terms(self, row: np.ndarray) -> dict[str, np.ndarray]:
        """Per column: the word-bag term of each id, and (with pairs) each pair's term, and
        (with subwords) each subword id's term."""
        prior = self.model.bag_prior
        words = row[: self.maxlen]
        is_word = words != PAD_ID
        terms = {"words": np.where(is_word, self.word_scores[words], 0.0) / max(is_word.sum() + prior, 1.0)}
        if self.pair_scores is not None:
            buckets = pair_ids(words[None], self.model.vocab_size, self.model.pair_buckets or 0)[0]
            is_pair = buckets != 0
            terms["pairs"] = np.where(is_pair, self.pair_scores[buckets], 0.0) / max(is_pair.sum() + prior, 1.0)
        if self.subword_scores is not None:
            subwords = row[self.maxlen :]
            is_subword = subwords != PAD_ID
            terms["subwords"] = np.where(is_subword, self.subword_scores[subwords], 0.0) / max(is_subword.sum() + prior, 1.0)
        return terms

    # -- the RNN: forward and integrated gradients --------------------------------------------

    def _rnn_inputs(self, start_row: np.ndarray, end_row: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """The window columns the RNN must run over for both rows: from the first column that
        is not padding in either (earlier pad columns only lead to a known state), or all."""
        a, b = start_row[: self.maxlen][-self.window:], end_row[: self.maxlen][-self.window:]
        used = np.flatnonzero((a != PAD_ID) | (b != PAD_ID))
        skip = int(used[0]) if self.trimmable and len(used) else 0
        return a[skip:], b[skip:], skip

    def _rnn_part(self, a: np.ndarray, b: np.ndarray, skip: int, alphas=np.array([0.0, 1.0]), grad=False):
        """The RNN term at each ``alpha`` on the path from row part ``a`` to ``b``; with ``grad``,
        also its gradient with respect to each column's input and mask weight."""
        xa, xb = self.projected[a], self.projected[b]
        ma, mb = (a != PAD_ID).astype(np.float64), (b != PAD_ID).astype(np.float64)
        x = xa[None] + alphas[:, None, None] * (xb - xa)[None]  # [N, T, units]
        mask = ma[None] + alphas[:, None] * (mb - ma)[None]  # [N, T]
        recurrent, r = self.weights["rnn_recurrent"], self.rnn_weights
        steps = x.shape[1]
        h = np.repeat(self.pad_states[skip][None], len(alphas), axis=0)
        states = np.empty_like(x)
        for t in range(steps):
            h = np.tanh(x[:, t] + h @ recurrent)
            states[:, t] = h
        value, d_states, d_mask = self._head(states, mask, r)
        if not grad:
            return value, None
        d_x = np.empty_like(x)
        carry = np.zeros_like(h)
        for t in range(steps - 1, -1, -1):
            carry = (carry + d_states[:, t]) * (1.0 - states[:, t] ** 2)
            d_x[:, t] = carry
            carry = carry @ recurrent.T
        return value, (d_x, d_mask, xb - xa, mb - ma)

    def _head(self, states: np.ndarray, mask: np.ndarray, r: np.ndarray):
        """The head's value per alpha, and its gradients with respect to each state and mask weight."""
        head = self.model.head
        d_states, d_mask = np.zeros_like(states), np.zeros_like(mask)
        if head == "last":
            d_states[:, -1] = r
            return states[:, -1] @ r, d_states, d_mask
        if head == "max":
            pooled = states.max(axis=1)
            winners = states.argmax(axis=1)  # [N, units]
            for unit in range(states.shape[2]):
                d_states[np.arange(len(states)), winners[:, unit], unit] = r[unit]
            return pooled @ r, d_states, d_mask
        projected = states @ r  # [N, T]
        total = mask.sum(axis=1)
        count = np.maximum(total, 1.0)
        value = (mask * projected).sum(axis=1) / count
        d_states = (mask / count[:, None])[..., None] * r
        d_mask = projected / count[:, None] - (value / count * (total > 1.0))[:, None]
        return value, d_states, d_mask

    def _rnn_attribution(self, row: np.ndarray) -> tuple[np.ndarray, float]:
        """Per column of the window (aligned to the row's end): the RNN term's attribution,
        and the exact change of the term from the empty text to this row."""
        a, b, skip = self._rnn_inputs(self.empty_row, row)
        nodes, weights = np.polynomial.legendre.leggauss(RNN_NODES)
        alphas, weights = (nodes + 1.0) / 2.0, weights / 2.0
        _, (d_x, d_mask, delta_x, delta_mask) = self._rnn_part(a, b, skip, alphas, grad=True)
        per_column = np.einsum("n,ntu,tu->t", weights, d_x, delta_x) + np.einsum("n,nt,t->t", weights, d_mask, delta_mask)
        ends, _ = self._rnn_part(a, b, skip)
        return per_column, float(ends[1] - ends[0])

    # -- multi-hot dense ---------------------------------------------------------------------------

    def _multi_hot(self, row: np.ndarray) -> np.ndarray:
        hot = np.zeros(self.model.vocab_size)
        hot[row[row != PAD_ID]] = 1.0
        return hot

    def _mlp(self, hot: np.ndarray, grad: bool = False):
        """The dense stack without its bias, per row of ``hot``; with ``grad``, d/d(first pre-activation)."""
        w = self.weights
        layers = [(w["multi_hot_kernel"], w["multi_hot_bias"])]
        layers += [(w[f"hidden_{n}_kernel"], w[f"hidden_{n}_bias"]) for n in range(1, len(self.model.dense_units or ()))]
        h, gates = hot, []
        for kernel, bias in layers:
            z = h @ kernel + bias
            gates.append(z > 0)
            h = np.maximum(z, 0.0)
        value = h @ w["dense_kernel"][:, self.column]
        if not grad:
            return value, None
        d = np.broadcast_to(w["dense_kernel"][:, self.column], h.shape) * gates[-1]
        for (kernel, _), gate in zip(reversed(layers[1:]), reversed(gates[:-1])):
            d = (d @ kernel.T) * gate
        return value, d

    def _multi_hot_attribution(self, row: np.ndarray) -> tuple[dict[int, float], float]:
        """Per distinct id that differs from the empty text: its attribution; and the exact change."""
        start, end = self._multi_hot(self.empty_row), self._multi_hot(row)
        changed = np.flatnonzero(end != start)
        alphas = (np.arange(RELU_STEPS) + 0.5) / RELU_STEPS
        path = start[None] + alphas[:, None] * (end - start)[None]
        _, d_first = self._mlp(path, grad=True)
        kernel = self.weights["multi_hot_kernel"]
        per_id = {int(i): float(d_first.mean(axis=0) @ kernel[i] * (end[i] - start[i])) for i in changed}
        ends, _ = self._mlp(np.stack([start, end]))
        return per_id, float(ends[1] - ends[0])

    # -- putting it together -------------------------------------------------------------------------

    def explain(self, text: str, score: float, label: str) -> Explanation:
        spans = token_spans(text)
        positions, kept = self._kept(spans, text)  # token index per kept id (-1: the start id)
        row = self._row(kept, text)
        offset = self.maxlen - len(kept) if self.bundle.encoding.padding == "pre" else 0
        tokens = [i for i in positions if i >= 0]
        contributions = np.zeros(len(spans))
        shared = 0.0  # credit of the start id (or of padding), split equally among the tokens
        logit = self.logit_of(row)
        if self.model.architecture == "multi_hot_dense":
            per_id, change = self._multi_hot_attribution(row)
            per_id = _completed(per_id, change)
            for identifier, value in per_id.items():
                owners = [i for i, k in zip(positions, kept) if k == identifier and i >= 0]
                if owners:
                    contributions[owners] += value / len(owners)
                else:
                    shared += value
        else:
            attributed, change = self._rnn_attribution(row)
            per_column = _completed(dict(enumerate(attributed)), change)
            first_column = self.maxlen - len(per_column)
            for t, value in per_column.items():
                j = first_column + t - offset  # index into kept
                if 0 <= j < len(kept) and positions[j] >= 0:
                    contributions[positions[j]] += value
                else:
                    shared += value
            if self.model.head == "mean_with_bag":
                shared += self._split_bags(row, positions, offset, contributions, [token for token, _, _ in spans])
        if tokens:
            contributions[tokens] += shared / len(tokens)
        listed = [TokenContribution(spans[i][0], spans[i][1], spans[i][2], float(contributions[i])) for i in tokens]
        return Explanation(text, label, float(score), logit, self.base, listed)

    def _split_bags(self, row, positions, offset, contributions, tokens: list[str]) -> float:
        """Add each token's exact bag (pair, subword) terms; return what belongs to no token:
        the start id's term now less its term in the empty text."""
        terms = self._bag_terms(row)
        words = terms["words"]
        leftover = -sum(part.sum() for part in self._bag_terms(self.empty_row).values())
        for j, position in enumerate(positions):
            value = words[offset + j]
            if position >= 0:
                contributions[position] += value
            else:
                leftover += value
        if "pairs" in terms:
            # pair column c joins row columns c and c + 1
            for c in np.flatnonzero(terms["pairs"]):
                owners = [positions[k - offset] for k in (c, c + 1) if positions[k - offset] >= 0]
                for owner in owners:
                    contributions[owner] += terms["pairs"][c] / len(owners)
        if "subwords" in terms:
            used = terms["subwords"][row[self.maxlen :] != PAD_ID]
            owners = self._subword_owners([p for p in positions if p >= 0], tokens)
            if len(owners) != len(used):
                raise RuntimeError("explain: the tokens with spans do not give the encoder's subwords; please report this text")
            np.add.at(contributions, np.asarray(owners, dtype=np.int64), used)
        return leftover

    def _subword_owners(self, kept_tokens: list[int], tokens: list[str]) -> list[int]:
        """For each kept subword id, in row order, the index of the token it was cut from."""
        config = self.encoder.config.subwords
        assert config is not None  # (called for subword encodings only)
        owners = [position for position in kept_tokens for _ in range(count_ngrams(len(tokens[position]), config.min_n, config.max_n))]
        return owners[-config.slots:] if self.encoder.config.truncating == "pre" else owners[: config.slots]

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


def _completed(attribution: dict[int, float], change: float) -> dict[int, float]:
    """``attribution`` adjusted to sum to ``change`` exactly: the quadrature's remainder is
    spread in proportion to each attribution's size (equally if all are zero)."""
    if not attribution:
        return attribution
    values = np.array(list(attribution.values()))
    remainder = change - values.sum()
    size = np.abs(values).sum()
    values = values + (remainder * np.abs(values) / size if size > 0 else remainder / len(values))
    return dict(zip(attribution, values.tolist()))
