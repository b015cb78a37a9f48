"""Naive-Bayes feature weights for the bags: while training, each bag feature's vector is scaled
by how strongly the feature's presence tells the classes apart, its log-count ratio (NB-SVM,
Wang & Manning 2012); afterwards the scales are folded into the embedding rows, so the bundle
is an ordinary one and no runtime knows they were there.

A bag feature is a word id, a hashed word pair or a hashed subword (export/architectures/rnn.py).
For a class c, with p the number of training texts of c holding the feature and q the number of
the other texts holding it, r_c = log((p + a) / |p + a|) - log((q + a) / |q + a|), where |·| sums
over all features and a is the config's ``feature_smoothing`` (chosen on validation,
export/train.py). A feature's scale is the root mean square of r_c over the classes (two labels:
|r| itself; multilabel: one-vs-rest per label), divided by its mean over the training texts'
features, so a typical feature keeps scale 1. Padding keeps scale 0.
"""

from __future__ import annotations

import numpy as np

from edge_sentiment.constants import PAD_ID
from edge_sentiment.pairs import pair_ids

from .layers import PAIR_EMBEDDING, SUBWORD_EMBEDDING, WORD_EMBEDDING

#: Rows counted at a time.
CHUNK_ROWS = 8192


def bag_scales(config, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Each bag embedding's row scales (by layer name) from the training rows ``x`` (word ids,
    then subword ids) and targets ``y`` (export/train.py's: 0/1, class ids or multi-hot)."""
    classes = _class_matrix(y, config.task, config.num_labels)
    words = x[:, : config.maxlen]
    features = {WORD_EMBEDDING: (words, config.num_words)}
    if config.pair_buckets:
        features[PAIR_EMBEDDING] = (pair_ids(words, config.num_words, config.pair_buckets), config.pair_buckets)
    if config.has_subwords:
        features[SUBWORD_EMBEDDING] = (x[:, config.maxlen :], config.subword_buckets + 1)
    return {name: log_count_ratio_scales(ids, classes, size, config.feature_smoothing)
            for name, (ids, size) in features.items()}


def log_count_ratio_scales(ids: np.ndarray, classes: np.ndarray, size: int, smoothing: float = 1.0) -> np.ndarray:
    """``(size,)`` float32 scales of the ids ``0..size-1`` from rows of ids ``[n, T]`` and their
    0/1 class matrix ``[n, K]`` (see the module's docstring; ``smoothing`` is its a)."""
    texts, in_class, occurrences = np.zeros(size), np.zeros((classes.shape[1], size)), np.zeros(size)
    for start in range(0, len(ids), CHUNK_ROWS):  # (the index arrays of a whole large file would not fit)
        block = ids[start : start + CHUNK_ROWS]
        ordered = np.sort(block, axis=1)
        first = np.ones(ordered.shape, dtype=bool)  # a text counts once per feature
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        first &= ordered != PAD_ID
        rows, columns = np.nonzero(first)
        features = ordered[rows, columns]
        texts += np.bincount(features, minlength=size)
        for k in range(classes.shape[1]):
            in_class[k] += np.bincount(features, weights=classes[start + rows, k], minlength=size)
        occurrences += np.bincount(block[block != PAD_ID], minlength=size)
    p, q = in_class + smoothing, texts - in_class + smoothing
    ratios = np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True))
    scales = np.sqrt(np.mean(ratios**2, axis=0))
    if occurrences.any():
        scales /= max(float(occurrences @ scales / occurrences.sum()), np.finfo(np.float32).tiny)
    scales[PAD_ID] = 0.0
    return scales.astype(np.float32)


def _class_matrix(y: np.ndarray, task: str, num_labels: int) -> np.ndarray:
    """0/1 ``[n, K]``: binary targets as two columns (negative, positive), class ids one-hot, multi-hot as given."""
    if task == "multilabel":
        return (np.asarray(y) > 0.5).astype(np.float64)
    if task == "binary":
        positive = (np.asarray(y).reshape(-1) > 0.5).astype(np.float64)
        return np.stack([1.0 - positive, positive], axis=1)
    return np.eye(num_labels)[np.asarray(y).reshape(-1).astype(np.int64)]
