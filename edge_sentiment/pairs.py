"""Hashed word pairs: the one formula the Keras model and the NumPy backend share.

A bag of single words cannot tell "not good" from "good"; a bag of adjacent
pairs can. The pairs are computed inside the model from the same id input, so
the runtime's preprocessing does not change. Each pair of ids ``(a, b)`` maps
to bucket ``1 + (a * vocab_size + b) mod (buckets - 1)``; bucket 0 stands for
"no pair" (either id is padding), so the bag's masked mean skips it.
"""

from __future__ import annotations

import numpy as np

from .constants import PAD_ID

#: ``a * vocab_size + b`` must fit in int32 (every backend computes it in int32).
MAX_VOCAB_SIZE = 46340


def pair_ids(ids, vocab_size: int, buckets: int, ops=np):
    """``[batch, T] -> [batch, T - 1]`` pair buckets; ``ops`` is NumPy or ``keras.ops``."""
    previous, current = ids[:, :-1], ids[:, 1:]
    bucket = pair_bucket(previous, current, vocab_size, buckets, ops)
    both_words = ops.logical_and(ops.not_equal(previous, PAD_ID), ops.not_equal(current, PAD_ID))
    return ops.where(both_words, bucket, ops.zeros_like(bucket))


def pair_bucket(previous, current, vocab_size: int, buckets: int, ops=np):
    """The bucket of the pair (previous, current), both words (not padding)."""
    if vocab_size > MAX_VOCAB_SIZE:
        raise ValueError(f"hashed pairs need vocab_size <= {MAX_VOCAB_SIZE} (int32), got {vocab_size}")
    return ops.mod(previous * vocab_size + current, buckets - 1) + 1
