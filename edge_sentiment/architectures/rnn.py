"""Embedding + SimpleRNN, and its heads: the last state, the max or the mean of the states,
or that mean beside bags (masked means) of the word vectors, of hashed word pairs and of
hashed subwords (export: ``edge_sentiment_export.architectures``); and its explanation.

The NumPy pass folds the RNN's input projection ``embedding @ kernel + bias`` into one table up
front, so each time step is a row gather, one small matmul and a tanh.
"""

from __future__ import annotations

import operator
from itertools import repeat

import numpy as np

from ..backends import Predictor, trim_leading_padding
from ..constants import PAD_ID
from ..model_math import (
    TRIMMABLE_HEADS, bag_divisor, bag_table, bag_width, initial_state_index, model_split, rnn_pad_states, rnn_vectors,
    sigmoid_of_float, trims_leading_padding,
)
from ..pairs import pair_bucket, pair_ids
from ..subwords import count_ngrams
from ..tasks import ACTIVATIONS, activate
from .attribution import RNN_NODES, completed


def weight_shapes(model, vocab_size: int, outputs: int = 1, subword_buckets: int = 0) -> dict[str, tuple[int, ...]]:
    dim, units, rnn_dim = model.embedding_dim, model.rnn_units, model.rnn_embedding_dim
    shapes = {"embedding": (vocab_size, dim), "rnn_kernel": (rnn_dim or dim, units), "rnn_recurrent": (units, units),
              "rnn_bias": (units,)}
    if rnn_dim:
        shapes["rnn_embedding"] = (vocab_size, rnn_dim)
    if model.pair_buckets:
        shapes["pair_embedding"] = (model.pair_buckets, model.pair_dim)
    if model.subword_dim:
        shapes["subword_embedding"] = (subword_buckets + 1, model.subword_dim)
    features = units + (bag_width(model) if model.head == "mean_with_bag" else 0)
    return {**shapes, "dense_kernel": (features, outputs), "dense_bias": (outputs,)}


def numpy_forward(weights: dict, bundle):
    head = bundle.manifest.model.head
    dense_w, dense_b = weights["dense_kernel"], weights["dense_bias"]
    model, task = bundle.manifest.model, bundle.manifest.task
    window = model.rnn_steps  # the RNN reads the last `window` steps
    assert window is not None  # (an RNN architecture)
    # A head that ignores pad steps: start from the state the cut pad columns lead to
    # (as the ONNX model does; see trim_leading_padding).
    trimmable = trims_leading_padding(model.architecture, head, bundle.encoding.padding, bool(model.subword_dim))
    maxlen = bundle.encoding.maxlen
    bags = _FoldedBags(weights, model, bundle) if head == "mean_with_bag" else None
    reads_rnn = bags is None or bags.dense.reads_rnn  # (a bag-only model's RNN is skipped)
    if reads_rnn:  # (a vocabulary-sized table: built only for a model that reads it)
        projected = (rnn_vectors(weights) @ weights["rnn_kernel"] + weights["rnn_bias"]).astype(np.float32)
        recurrent = weights["rnn_recurrent"]
        pad_states = rnn_pad_states(projected[PAD_ID], recurrent, window)

    def predict(row: np.ndarray) -> np.ndarray:
        ids, subwords = row[:, :maxlen], row[:, maxlen:]
        if trimmable:
            ids = trim_leading_padding(ids)
        if bags is not None and not reads_rnn:  # a bag model: its bags alone
            return activate(dense_b + bags.batch(ids, subwords), task)
        rnn_ids = ids[:, -window:]
        start = pad_states[initial_state_index(window, ids.shape[1]) if trimmable else 0]
        h = np.repeat(start[None], len(ids), axis=0)
        pooled = np.full_like(h, -np.inf) if head == "max" else np.zeros_like(h)
        for t in range(rnn_ids.shape[1]):
            h = np.tanh(projected[rnn_ids[:, t]] + h @ recurrent)
            if head == "max":
                np.maximum(pooled, h, out=pooled)
            elif head != "last":
                pooled += h * (rnn_ids[:, t : t + 1] != PAD_ID)
        if head == "last":
            return activate(h @ dense_w + dense_b, task)
        if head == "max":
            return activate(pooled @ dense_w + dense_b, task)
        features = pooled / _token_count(rnn_ids)
        if bags is None:
            return activate(features @ dense_w + dense_b, task)
        # [bag of words (and pairs, subwords), mean of RNN outputs] @ the Dense kernel, as the Keras
        # model, with the kernel's bag rows folded into the bags' tables
        return activate(dense_b + bags.batch(ids, subwords) + features @ bags.dense.rnn, task)

    if not (bags is not None and bundle.encoding.padding == "pre" and not bundle.encoding.drop_special):
        return predict  # (a text always keeps its start id, and its RNN starts after its pad steps)
    rnn = (projected, recurrent, pad_states, window) if reads_rnn else None
    return Predictor(predict, _one_text(bags, dense_b, task, rnn), one_min_steps=1)


class _FoldedBags:
    """The bags of head "mean_with_bag" with the final Dense layer's rows folded into their tables
    (:func:`~edge_sentiment.model_math.bag_table`, as the ONNX graphs do): a bag's share of the
    logits is the sum of its ids' rows (row 0, padding or "no pair", is zero) over its divisor.
    A model with one output keeps each table as a vector: one float per id, gathered by ``take``."""

    def __init__(self, weights: dict, model, bundle) -> None:
        self.dense = model_split(weights["dense_kernel"], model)
        assert self.dense.words is not None  # (head "mean_with_bag" always has its bag of words)
        self.words = _as_vector(bag_table(weights["embedding"], self.dense.words))
        self.pairs = _folded(weights.get("pair_embedding"), self.dense.pairs)
        self.subwords = _folded(weights.get("subword_embedding"), self.dense.subwords)
        self.prior, self.power = model.bag_prior or 0.0, model.bag_power
        self.vocab_size, self.pair_buckets = bundle.io.vocab_size, model.pair_buckets
        subwords = bundle.encoding.subwords
        longest = max(bundle.encoding.maxlen, subwords.slots if subwords else 0)
        self.inverse = (1 / bag_divisor(np.arange(longest + 1), self.prior, self.power)).astype(np.float32).tolist()

    def batch(self, ids: np.ndarray, subwords: np.ndarray) -> np.ndarray:
        """The bags' share of the logits of padded rows: ``[n, K]``."""
        total = self._batch_part(self.words, ids)
        if self.pairs is not None:
            total = total + self._batch_part(self.pairs, pair_ids(ids, self.vocab_size, self.pair_buckets))
        if self.subwords is not None:
            total = total + self._batch_part(self.subwords, subwords)
        return total

    def one(self, kept: np.ndarray, kept_subwords: np.ndarray | None) -> np.ndarray:
        """The bags' share of the logits of one text's unpadded kept ids: ``[K]`` (one output: :meth:`one_float`)."""
        total = self._one_part(self.words, kept)
        if self.pairs is not None:  # every id is a word here: every adjacent two are a pair
            total = total + self._one_part(self.pairs, pair_bucket(kept[:-1], kept[1:], self.vocab_size, self.pair_buckets))
        if self.subwords is not None and kept_subwords is not None:
            total = total + self._one_part(self.subwords, kept_subwords)
        return total

    def one_float(self, kept: list[int], kept_subwords: np.ndarray | None) -> float:
        """:meth:`one` of a model with one output, in Python floats (on a text's few ids NumPy's
        calls cost more than the sums): ``kept`` as a list."""
        inverse, words = self.inverse, self.words[0]
        total = sum(map(words.item, kept)) * inverse[len(kept)]
        if self.pairs is not None:
            pairs = self.pairs[0]
            buckets = map(pair_bucket, kept, kept[1:], repeat(self.vocab_size), repeat(self.pair_buckets), repeat(operator))
            total += sum(map(pairs.item, buckets)) * inverse[len(kept) - 1]
        if self.subwords is not None and kept_subwords is not None:  # (tens of ids: one NumPy sum)
            total += float(np.add.reduce(self.subwords[0].take(kept_subwords))) * inverse[len(kept_subwords)]
        return total

    def _batch_part(self, bag: tuple, ids: np.ndarray) -> np.ndarray:
        table, matrix = bag
        if table.ndim == 1:
            return table.take(ids).sum(axis=1, keepdims=True) / _token_count(ids, self.prior, self.power)
        part = table[ids].sum(axis=1) / _token_count(ids, self.prior, self.power)
        return part if matrix is None else part @ matrix

    def _one_part(self, bag: tuple, ids: np.ndarray) -> np.ndarray:
        table, matrix = bag
        part = table.take(ids, axis=0).sum(axis=0) * np.float32(self.inverse[len(ids)])
        return part if matrix is None else part @ matrix


def _one_text(bags: _FoldedBags, bias: np.ndarray, task: str, rnn: tuple | None):
    """One text's scores from its unpadded kept ids (and subword ids), as the one-text ONNX graph
    computes them: the folded bags, and the RNN (if read) from the state its pad steps lead to."""
    if len(bias) == 1 and ACTIVATIONS[task] == "sigmoid":
        return _one_output_text(bags, float(bias[0]), rnn)

    def one(kept: np.ndarray, kept_subwords: np.ndarray | None = None) -> np.ndarray:
        logit = bias + bags.one(kept, kept_subwords)
        if rnn is not None:
            logit = logit + _rnn_mean(kept, *rnn) @ bags.dense.rnn
        return activate(logit, task)

    return one


def _one_output_text(bags: _FoldedBags, bias: float, rnn: tuple | None):
    """:func:`_one_text` of a model with one sigmoid output, in Python floats (each table is a vector)."""

    def one(kept: np.ndarray, kept_subwords: np.ndarray | None = None) -> np.ndarray:
        logit = bias + bags.one_float(kept.tolist(), kept_subwords)
        if rnn is not None:
            logit += float((_rnn_mean(kept, *rnn) @ bags.dense.rnn)[0])
        return np.array([sigmoid_of_float(logit)], dtype=np.float32)

    return one


def _as_vector(bag: tuple) -> tuple:
    """A score table of one output as a vector, the final weights folded in (``take`` on it is the
    fastest lookup NumPy has); a table of more outputs as it is."""
    table, matrix = bag
    if (table if matrix is None else matrix).shape[1] != 1:
        return bag
    return np.ascontiguousarray((table if matrix is None else table @ matrix)[:, 0], dtype=np.float32), None


def _folded(vectors: np.ndarray | None, weights: np.ndarray | None) -> tuple | None:
    """:func:`~edge_sentiment.model_math.bag_table` of a bag the model has (None: it has not)."""
    return None if vectors is None or weights is None else _as_vector(bag_table(vectors, weights))


def _rnn_mean(kept: np.ndarray, projected, recurrent, pad_states, window: int) -> np.ndarray:
    """The mean of the RNN's states over one text's last ``window`` ids, started from the state
    its missing pad steps lead to."""
    h = pad_states[initial_state_index(window, len(kept))]
    steps = kept[-window:]
    total = np.zeros_like(h)
    for word in steps.tolist():
        h = np.tanh(projected[word] + h @ recurrent)
        total += h
    return total / np.float32(len(steps))


def _token_count(ids: np.ndarray, prior: float = 0.0, power: float = 1.0) -> np.ndarray:
    return bag_divisor((ids != PAD_ID).sum(axis=1, keepdims=True), prior, power)


#: How ``describe`` words the manifest's ``onnx_recurrent_op`` where "<op> op" would not read.
_RECURRENCE = {"unrolled": "RNN unrolled"}


def describe(model, reads_rnn: bool = True) -> str:
    """One line for ``info``; ``reads_rnn`` False: training left the RNN a share of 0 (the bag model
    alone), so the ONNX graphs leave it out whatever ``onnx_recurrent_op`` says."""
    window = f" on the last {model.rnn_window} steps" if model.rnn_window else ""
    window += f" (its own {model.rnn_embedding_dim}-wide word vectors)" if model.rnn_embedding_dim else ""
    pairs = f" + {model.pair_buckets} hashed word pairs x {model.pair_dim}" if model.pair_buckets else ""
    recurrence = (_RECURRENCE.get(model.onnx_recurrent_op, f"{model.onnx_recurrent_op} op") if reads_rnn
                  else "without the RNN: its share of the logits is 0")
    return (
        f"{model.input_encoding}({model.vocab_size}, {model.embedding_dim}){pairs} -> "
        f"SimpleRNN({model.rnn_units}){window}, head {model.head}{_bag_divisor_text(model)}; "
        f"ONNX graph {model.onnx_graph} ({recurrence})"
        + (f"; one text per call: the single-text graph (>= {model.single_text.min_steps} ids)" if model.single_text else "")
    )


def _bag_divisor_text(model) -> str:
    if model.bag_power == 1.0:
        return ""
    return f" (bags divided by (tokens + {model.bag_prior or 0:g}) ** {model.bag_power:g})"


class Attribution:
    """An RNN model's logit for one output column, in float64 and in parts, and each kept
    token's share of it (docs/explain.md): the bags exactly, the RNN by integrated gradients."""

    def __init__(self, weights: dict, model, column: int, encoder) -> None:
        w = self.weights = weights
        self.model, self.column, self.encoder = model, column, encoder
        encoding = encoder.config
        self.maxlen = encoding.maxlen
        assert model.rnn_steps is not None  # (an RNN architecture)
        self.window: int = model.rnn_steps
        self.trimmable = model.head in TRIMMABLE_HEADS and encoding.padding == "pre"
        self.pad_states = rnn_pad_states(self._projected(np.array(PAD_ID)), w["rnn_recurrent"], self.window)
        dense_column = w["dense_kernel"][:, column]
        self.subword_scores = None
        if model.head == "mean_with_bag":
            dense = model_split(dense_column, model)
            assert dense.words is not None  # (the bag head has a word bag)
            self.word_scores = w["embedding"] @ dense.words
            self.pair_scores = w["pair_embedding"] @ dense.pairs if dense.pairs is not None else None
            self.subword_scores = w["subword_embedding"] @ dense.subwords if dense.subwords is not None else None
            self.rnn_weights = dense.rnn
        else:
            self.rnn_weights = dense_column

    def logit(self, row: np.ndarray) -> float:
        """The model's logit for one padded input row."""
        words = row[: self.maxlen]
        total = float(self.weights["dense_bias"][self.column])
        total += float(self._rnn_part(*self._rnn_inputs(words, words), alphas=np.ones(1))[0][0])
        if self.model.head == "mean_with_bag":
            total += sum(part.sum() for part in self._bag_terms(row).values())
        return total

    def attribute(self, row: np.ndarray, empty_row: np.ndarray, positions: list[int], kept: list[int], offset: int,
                  contributions: np.ndarray, tokens: list[str]) -> float:
        """Add each token's part of ``logit(row) - logit(empty_row)`` to ``contributions`` (by token
        index; ``positions``: the token of each kept id, -1 for the start id; ``offset``: the row
        column of the first kept id); return the part that belongs to no token."""
        attributed, change = self._rnn_attribution(row, empty_row)
        per_column = completed(dict(enumerate(attributed)), change)
        first_column = self.maxlen - len(per_column)
        shared = 0.0
        for t, value in per_column.items():
            j = first_column + t - offset  # index into kept
            if 0 <= j < len(kept) and positions[j] >= 0:
                contributions[positions[j]] += value
            else:
                shared += value
        if self.model.head == "mean_with_bag":
            shared += self._split_bags(row, empty_row, positions, offset, contributions, tokens)
        return shared

    def _bag_terms(self, row: np.ndarray) -> dict[str, np.ndarray]:
        """Per column: the word-bag term of each id, and (with pairs) each pair's term, and
        (with subwords) each subword id's term."""
        divisor = (self.model.bag_prior or 0.0, self.model.bag_power)
        words = row[: self.maxlen]
        is_word = words != PAD_ID
        terms = {"words": np.where(is_word, self.word_scores[words], 0.0) / bag_divisor(is_word.sum(), *divisor)}
        if self.pair_scores is not None:
            buckets = pair_ids(words[None], self.model.vocab_size, self.model.pair_buckets or 0)[0]
            is_pair = buckets != 0
            terms["pairs"] = np.where(is_pair, self.pair_scores[buckets], 0.0) / bag_divisor(is_pair.sum(), *divisor)
        if self.subword_scores is not None:
            subwords = row[self.maxlen :]
            is_subword = subwords != PAD_ID
            terms["subwords"] = np.where(is_subword, self.subword_scores[subwords], 0.0) / bag_divisor(is_subword.sum(), *divisor)
        return terms

    def _rnn_inputs(self, start_row: np.ndarray, end_row: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """The window columns the RNN must run over for both rows: from the first column that
        is not padding in either (earlier pad columns only lead to a known state), or all."""
        a, b = start_row[: self.maxlen][-self.window:], end_row[: self.maxlen][-self.window:]
        used = np.flatnonzero((a != PAD_ID) | (b != PAD_ID))
        skip = int(used[0]) if self.trimmable and len(used) else 0
        return a[skip:], b[skip:], skip

    def _projected(self, ids: np.ndarray) -> np.ndarray:
        """The RNN's input projection of ``ids``' vectors (only the few a text reads: a table of
        the whole vocabulary per explained column would cost megabytes each)."""
        return rnn_vectors(self.weights)[ids] @ self.weights["rnn_kernel"] + self.weights["rnn_bias"]

    def _rnn_part(self, a: np.ndarray, b: np.ndarray, skip: int, alphas=np.array([0.0, 1.0]), grad=False):
        """The RNN term at each ``alpha`` on the path from row part ``a`` to ``b``; with ``grad``,
        also its gradient with respect to each column's input and mask weight."""
        xa, xb = self._projected(a), self._projected(b)
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

    def _rnn_attribution(self, row: np.ndarray, empty_row: np.ndarray) -> tuple[np.ndarray, float]:
        """Per column of the window (aligned to the row's end): the RNN term's attribution,
        and the exact change of the term from the empty text to this row."""
        a, b, skip = self._rnn_inputs(empty_row, row)
        nodes, weights = np.polynomial.legendre.leggauss(RNN_NODES)
        alphas, weights = (nodes + 1.0) / 2.0, weights / 2.0
        _, (d_x, d_mask, delta_x, delta_mask) = self._rnn_part(a, b, skip, alphas, grad=True)
        per_column = np.einsum("n,ntu,tu->t", weights, d_x, delta_x) + np.einsum("n,nt,t->t", weights, d_mask, delta_mask)
        ends, _ = self._rnn_part(a, b, skip)
        return per_column, float(ends[1] - ends[0])

    def _split_bags(self, row, empty_row, positions, offset, contributions, tokens: list[str]) -> float:
        """Add each token's exact bag (pair, subword) terms; return what belongs to no token:
        the start id's term now less its term in the empty text."""
        terms = self._bag_terms(row)
        words = terms["words"]
        leftover = -sum(part.sum() for part in self._bag_terms(empty_row).values())
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
