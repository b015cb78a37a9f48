"""Short texts cut from labeled texts: sentences that keep their text's label.

Two uses, one cutting rule:

* **training snippets** (``TrainingConfig.short_snippets``): a few random
  sentences of every training text are added to the training set, so the
  model learns what two or ten words mean on their own, not only as part of a
  500-word text;
* **the short-text yardstick** (:func:`short_text_set`): the first and the last
  sentence of test (or validation) texts, the places where writers most often
  state their verdict. The labels are noisy (a sentence of a positive text can
  be neutral or even negative), which costs every model alike.

Nothing here is written to disk: the sets are made from the data on every run.
"""

from __future__ import annotations

import re

import numpy as np

from edge_sentiment.text import tokenize

from .data import Split

#: A sentence ends at ., ! or ? followed by space, or at a line break (IMDB writes <br />).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|<\s*br\s*/?\s*>", re.IGNORECASE)


def sentences(text: str, min_tokens: int, max_tokens: int) -> list[str]:
    """The sentences of ``text`` holding ``min_tokens`` to ``max_tokens`` tokens, in order."""
    found = []
    for part in _SENTENCE_BREAK.split(text):
        part = part.strip()
        if part and min_tokens <= len(tokenize(part)) <= max_tokens:
            found.append(part)
    return found


def training_snippets(split: Split, per_text: int, max_tokens: int, seed: int) -> Split:
    """Up to ``per_text`` random sentences (2 to ``max_tokens`` tokens) of each text, with its label."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for text, label in zip(split.texts, split.labels):
        found = sentences(text, 2, max_tokens)
        if not found:
            continue
        for index in rng.choice(len(found), size=min(per_text, len(found)), replace=False):
            texts.append(found[index])
            labels.append(label)
    return Split(texts, labels)


def short_text_set(split: Split, size: int, seed: int, min_tokens: int = 3, max_tokens: int = 25) -> Split:
    """The first and last sentences (``min_tokens`` to ``max_tokens`` tokens) of the
    texts of ``split``, with their text's label; a seeded sample of ``size`` of them."""
    texts, labels = [], []
    for text, label in zip(split.texts, split.labels):
        found = sentences(text, min_tokens, max_tokens)
        for sentence in dict.fromkeys([found[0], found[-1]]) if found else ():
            texts.append(sentence)
            labels.append(label)
    order = np.sort(np.random.default_rng(seed).permutation(len(texts))[:size])
    return Split([texts[i] for i in order], [labels[i] for i in order])
