"""Build ``vocab.json`` from training-set word frequencies, with the runtime's tokenizer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from edge_sentiment.constants import FIRST_WORD_ID
from edge_sentiment.text import tokenize


def build_vocab(texts: Iterable[str], num_words: int) -> dict[str, int]:
    """Map the ``num_words - FIRST_WORD_ID`` most frequent words to ids ``FIRST_WORD_ID..``.

    Ties are broken alphabetically so that the same texts always give the same ids.
    Rarer words are left out: the encoder reads them as OOV anyway.
    """
    counts = Counter()
    for text in texts:
        counts.update(tokenize(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    keep = ranked[: max(0, num_words - FIRST_WORD_ID)]
    return {word: rank + FIRST_WORD_ID for rank, (word, _) in enumerate(keep)}
