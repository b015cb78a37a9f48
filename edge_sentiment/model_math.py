"""The model's arithmetic that more than one implementation needs, in one place.

The Keras model (export/model.py), the ONNX graphs built from its weights
(export/onnx_graphs/) and the NumPy backend (backends/numpy.py) all import these:
the names and shapes of ``weights.npz``, which models may trim leading padding, the
RNN state that pad steps lead to, how the final Dense kernel splits into the
word-bag / pair-bag / RNN parts, and the RNN weights in the ONNX ``RNN`` op's layout.
NumPy only: the runtime imports it, so it must not import TensorFlow or onnx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .constants import PAD_ID

#: Heads whose output ignores the RNN outputs at pad steps ("max" would take a pad
#: step's output as the maximum). With pre-padding, a model with one of these heads
#: returns the same score when the leading pad columns are cut off and the RNN starts
#: from the state they lead to (:func:`rnn_pad_states`).
TRIMMABLE_HEADS = ("last", "mean", "mean_with_bag")


def trims_leading_padding(architecture: str, head: str | None, padding: str, subwords: bool = False) -> bool:
    """Whether a model may be fed pre-padded rows with leading pad columns cut off (not one
    with subwords: its row continues after the word ids, so their end must stay in place)."""
    return architecture == "rnn" and padding == "pre" and head in TRIMMABLE_HEADS and not subwords


def rnn_vectors(weights) -> np.ndarray:
    """The word vectors the RNN reads: its own table (``rnn_embedding``) when the model has one,
    else the bag's word vectors (``embedding``)."""
    return weights["rnn_embedding"] if "rnn_embedding" in weights else weights["embedding"]


def pad_step_input(embedding: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The RNN's input at a pad step: the pad id's embedding through the kernel, plus the bias."""
    return (embedding[PAD_ID] @ kernel + bias).astype(np.float32)


def rnn_pad_states(pad_input: np.ndarray, recurrent: np.ndarray, steps: int) -> np.ndarray:
    """``(steps + 1, units)``: row k is the SimpleRNN state after k pad steps from a zero state."""
    states = np.zeros((steps + 1, recurrent.shape[0]), dtype=np.result_type(pad_input, recurrent, np.float32))
    for k in range(steps):
        states[k + 1] = np.tanh(pad_input + states[k] @ recurrent)
    return states


def initial_state_index(window: int, steps: int) -> int:
    """Row of :func:`rnn_pad_states` to start from when the RNN, which reads the last
    ``window`` steps, is given only the last ``steps`` columns: the pad steps cut off."""
    return max(window - steps, 0)


@dataclass(frozen=True)
class DenseSplit:
    """The final Dense kernel's rows, cut in the order the Keras model concatenates its
    features: the word bag, the pair bag and the subword bag (head "mean_with_bag", each
    if the model has it), the RNN."""

    words: np.ndarray | None
    pairs: np.ndarray | None
    rnn: np.ndarray
    subwords: np.ndarray | None = None

    @property
    def reads_rnn(self) -> bool:
        """Whether the score reads the RNN at all: a model whose recurrent phase was not kept (the
        bag model is the model) has zero weight on it, so leaving the RNN out gives the same scores."""
        return bool(np.any(self.rnn))


def split_dense(kernel: np.ndarray, word_dim: int, pair_dim: int, subword_dim: int = 0) -> DenseSplit:
    """Split ``kernel`` (the Dense kernel, or one column of it) for a model whose bag of words has
    ``word_dim`` features (0: no bag), whose pair bag has ``pair_dim`` (0: no pairs) and whose
    subword bag has ``subword_dim`` (0: no subwords)."""
    words = kernel[:word_dim] if word_dim else None
    pairs = kernel[word_dim : word_dim + pair_dim] if pair_dim else None
    end = word_dim + pair_dim + subword_dim
    subwords = kernel[word_dim + pair_dim : end] if subword_dim else None
    return DenseSplit(words, pairs, kernel[end:], subwords)


def model_split(kernel: np.ndarray, model) -> DenseSplit:
    """:func:`split_dense` for an architecture record ``model`` with head "mean_with_bag"."""
    pair_dim = model.pair_dim if model.pair_buckets else 0
    return split_dense(kernel, model.embedding_dim, pair_dim, model.subword_dim or 0)


def score_table(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's contribution to the logit (``vectors @ weights``); row 0, padding or
    "no pair", contributes nothing."""
    scores = (vectors @ weights).astype(np.float32)
    scores[PAD_ID] = 0.0
    return scores


def bag_table(vectors: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """What a serving graph gathers for a bag, and the matrix its mean is multiplied by after:
    each row's logit contributions (:func:`score_table`, no matrix) when the outputs are fewer
    than the vectors' width, else the vectors themselves (row 0 zero) and ``weights``. Either
    way ``mean(table[ids]) @ matrix`` is ``mean(vectors[ids]) @ weights``; the smaller table wins."""
    if weights.shape[1] < vectors.shape[1]:
        return score_table(vectors, weights), None
    table = np.array(vectors, dtype=np.float32)
    table[PAD_ID] = 0.0
    return table, weights.astype(np.float32)


def onnx_rnn_weights(kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, ...]:
    """Keras SimpleRNN weights as the ONNX ``RNN`` op's W ``[1, units, input]``, R ``[1, units,
    units]`` and B ``[1, 2 * units]`` (input bias, then a zero recurrent bias)."""
    return (
        kernel.T[None].astype(np.float32),
        recurrent.T[None].astype(np.float32),
        np.concatenate([bias, np.zeros_like(bias)])[None].astype(np.float32),
    )


def bag_divisor(count, prior: float = 0.0, power: float = 1.0) -> np.ndarray:
    """What a bag divides its sum over ``count`` tokens by: ``max(count + prior, 1) ** power``
    (float32). Power 1 makes the bag a mean (plus the prior); power 0.5 lets the evidence of a
    longer text add up as its square root, as an L2-normalised bag of counts does."""
    divisor = np.maximum(np.asarray(count, dtype=np.float32) + np.float32(prior), np.float32(1))
    return divisor if power == 1.0 else np.power(divisor, np.float32(power))


def sigmoid(logits: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-logit) overflows to inf for logit < -88: the score is then 0
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def sigmoid_of_float(logit: float) -> float:
    """:func:`sigmoid` of one Python float (one text's one output, without NumPy's per-call cost);
    past exp's range the score is 0 in float32 either way."""
    return 1.0 / (1.0 + math.exp(min(-logit, 700.0)))


def bag_width(model) -> int:
    """Features of the bag part of head "mean_with_bag": the word vectors' width, plus the pairs' and the subwords'."""
    return model.embedding_dim + (model.pair_dim if model.pair_buckets else 0) + (model.subword_dim or 0)
