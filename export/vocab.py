"""Build ``vocab.json`` from training-set word frequencies, and fit the vocabulary size
and ``maxlen`` to the user's data when they are not given.

The fitting rule (``export --train`` without ``--num-words`` / ``--maxlen``):

* ``num_words``: every word seen at least :data:`MIN_COUNT` times in the training
  texts gets an id (a word seen once cannot be learned, only memorised), up to the
  preset's ``num_words``;
* ``maxlen``: the :data:`LENGTH_PERCENTILE` th percentile of the training texts'
  lengths in ids (tokens, plus the start id), at least :data:`MIN_MAXLEN` and the
  RNN's window, up to the preset's ``maxlen``. Longer texts keep their end, as always;
* ``rnn_window``: 0 (the whole text) when ``maxlen`` is at most :data:`WHOLE_TEXT_RNN_MAXLEN`, else
  the preset's (IMDB reviews: the last 8 steps, where the verdict usually is). A question's type or
  a tweet's tone is often in its first words (TREC-6 validation carve, the RNN with its own word
  vectors: validation loss of the mixed model 0.4645 reading all 21 steps, 0.4773 reading the last 8,
  where the mix kept the bag model alone);
* ``rnn_embedding_dim``: the RNN of a model trained on the user's file reads word vectors of its own,
  :data:`OWN_RNN_EMBEDDING_DIM` wide, into :data:`OWN_RNN_UNITS` units, trained after the bag model
  with a classifier of its own; the two classifiers' logits are mixed with the share of the RNN's
  that lowers the validation loss (export/train.py, ``_mix``). An RNN over the bag's frozen vectors,
  trained on from the bag's classifier (the IMDB presets'), was never kept on short texts: the bag
  model had nothing left for it to learn. TREC-6 validation carve: 0.8691 -> 0.8728, its RNN share
  0.2; tweet sentiment, Korean reviews and ironic tweets keep the bag model;
* ``bag_prior`` (presets that use one): the median training text length in tokens, up
  to the preset's. The bags divide their sums by (tokens + bag_prior), so a text of the
  median length keeps half of its mean, shorter ones less: a set of 15-word sentences
  gets the damping a set of 200-word reviews gets from the preset's 120;
* ``short_snippets``: none when the median training text has at most ``snippet_max_tokens``
  tokens (a short text's sentences repeat it; validation carves: TREC-6 0.835 -> 0.840, Korean
  reviews 0.822 -> 0.825), else the preset's;
* ``embedding_dim`` and ``pair_dim`` (the bags' widths): the preset's for two labels; for more,
  at least :data:`LABELS_EMBEDDING_DIM` and :data:`LABELS_PAIR_DIM`. A bag feeds the final layer
  through its width, so 8 + 2 dimensions (ample for one logit) bound what N logits can tell
  apart; on a 6-class question set (TREC, validation carve) 8/2 gave 0.807, 32/8 0.835, 64/16 0.835.

* ``subwords``: hashed character n-grams of every word (edge_sentiment/subwords.py) for
  presets whose head has a bag: 1 to 3 characters long when most letters of the training texts
  are Hangul, Han or kana (a character there is a syllable or a morpheme already; validation
  carve of 16,000 Korean movie reviews: 1-3 0.828, 1-4 0.827, 2-4 0.822, 3-5 0.802, none 0.758),
  else :data:`SUBWORD_RANGE` (English SST-2 carve: 3-5 0.800, 2-4 0.790, none 0.790; TREC-6:
  3-5 0.835, 2-4 0.831, none 0.835; the bag phase then leaves them out where its validation loss
  is clearly lower without them, export/train.py, ``BAG_CHOICE_MIN_T``), each a vector of the word vectors' width, in twice as many
  buckets as the training words have distinct n-grams (a power of two, from 4,096 to 262,144 and
  at most 4M weights; Korean carve, 2-4-grams: 65,536 buckets 0.822, 262,144 0.829). Training
  with word dropout (``word_dropout``, a word id read as OOV at random) did not make the model more
  robust to misspellings on validation: SST-2 carve, three seeds, accuracy lost when 10% of the
  words are misspelt (mean of 5 copies each): none 0.34 points, 0.1 0.41, 0.2 0.67 (no subwords:
  1.22), accuracy 0.794 / 0.793 / 0.794; it stays off; a text keeps as many as the
  :data:`LENGTH_PERCENTILE` th percentile of the training texts hold (n-grams of the words
  ``maxlen`` keeps), at least :data:`MIN_MAXLEN`, at most :data:`MAX_SUBWORDS_PER_ID` per id.

The preset's values are ceilings (widths: floors), so a set as large and long as IMDB keeps them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from edge_sentiment.constants import FIRST_WORD_ID, SYMBOLS_TOKENIZER, TOKENIZER_NAME
from edge_sentiment.subwords import count_ngrams, ngrams
from edge_sentiment.text import reads_symbols, symbol_pattern, tokenize

from .config import TrainingConfig

MIN_COUNT = 2
LENGTH_PERCENTILE = 99
MIN_MAXLEN = 16
#: Texts this short (``maxlen`` ids or fewer) are read whole by the RNN.
WHOLE_TEXT_RNN_MAXLEN = 64
#: A user's file: the RNN's own word vectors' width, and its units.
OWN_RNN_EMBEDDING_DIM = 32
OWN_RNN_UNITS = 32
#: The settings the rule can fit (the CLI's --num-words and --maxlen give them instead).
FITTABLE = ("tokenizer", "num_words", "maxlen", "rnn_window", "rnn_embedding_dim", "bag_prior", "short_snippets",
            "embedding_dim", "subwords", "class_weight", "bag_power", "feature_weights",
            "feature_smoothing")  # (class_weight and the bag choices: export/train.py)
#: Subword n-gram lengths when the rule turns subwords on (alphabetic scripts; syllabic and
#: logographic ones: SYLLABIC_RANGE).
SUBWORD_RANGE = (3, 5)
SYLLABIC_RANGE = (1, 3)
#: Hangul (syllables and jamo), CJK ideographs (and extension A), hiragana and katakana.
SYLLABIC = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff]")
LETTER = re.compile(r"[^\W\d_]")
#: Characters read to tell the script (a sample of the texts is enough).
SCRIPT_SAMPLE = 1_000_000
#: Buckets: twice the distinct n-grams of the training words (few collisions), a power of two,
#: at least MIN_SUBWORD_BUCKETS, at most MAX_SUBWORD_BUCKETS and MAX_SUBWORD_WEIGHTS / subword_dim.
MIN_SUBWORD_BUCKETS = 1 << 12
MAX_SUBWORD_BUCKETS = 1 << 18
MAX_SUBWORD_WEIGHTS = 1 << 22
MAX_SUBWORDS_PER_ID = 16
#: Symbols named in the tokenizer rule's record.
SHOWN_SYMBOLS = 5
LABELS_EMBEDDING_DIM = 64
LABELS_PAIR_DIM = 16


def fit_tokenizer(config: TrainingConfig, texts: Iterable[str]) -> tuple[TrainingConfig, dict]:
    """``config`` with the tokenizer that reads the symbols (emoji, ♥, ★) as tokens when the
    training texts hold any often enough to learn from, and the record of the choice."""
    texts_with = Counter()
    find = symbol_pattern().findall
    for text in texts:
        texts_with.update(set(find(text)))
    top = texts_with.most_common(SHOWN_SYMBOLS)
    value = SYMBOLS_TOKENIZER if top and top[0][1] >= MIN_COUNT else TOKENIZER_NAME
    shown = ", ".join(f"{symbol} ({count:,})" for symbol, count in top) or "none"
    return config.with_overrides(tokenizer=value), {
        "value": value, "symbols_seen": len(texts_with), "most_common": {symbol: count for symbol, count in top},
        "rule": f"{SYMBOLS_TOKENIZER} (each symbol a token of its own) when a symbol occurs in at least {MIN_COUNT} "
                f"training texts, else {TOKENIZER_NAME} (words only); texts holding the most common symbols: {shown}"}


def word_counts(texts: Iterable[str], tokenizer: str = TOKENIZER_NAME) -> tuple[Counter, list[int]]:
    """How often each token occurs in ``texts``, and each text's length in tokens."""
    counts, lengths = Counter(), []
    symbols = reads_symbols(tokenizer)
    for text in texts:
        tokens = tokenize(text, symbols)
        counts.update(tokens)
        lengths.append(len(tokens))
    return counts, lengths


def build_vocab(counts: Counter, num_words: int) -> dict[str, int]:
    """Map the ``num_words - FIRST_WORD_ID`` most frequent words to ids ``FIRST_WORD_ID..``.

    Ties are broken alphabetically so that the same texts always give the same ids.
    Rarer words are left out: the encoder reads them as OOV anyway.
    """
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    keep = ranked[: max(0, num_words - FIRST_WORD_ID)]
    return {word: rank + FIRST_WORD_ID for rank, (word, _) in enumerate(keep)}


def fit_to_data(config: TrainingConfig, counts: Counter, lengths: list[int], fields: Iterable[str],
                texts: Iterable[str] = ()) -> tuple[TrainingConfig, dict]:
    """``config`` with ``fields`` (of :data:`FITTABLE`) fitted to the training texts, and a
    record of each fitted value, the rule and the figures behind it (for the manifest).
    (``texts``: the training texts, which the subword rule reads again.)"""
    record = {}
    if "num_words" in fields:
        seen = sum(1 for n in counts.values() if n >= MIN_COUNT)
        value = max(config.skip_top + 1, FIRST_WORD_ID + 1, min(config.num_words, FIRST_WORD_ID + seen))
        record["num_words"] = {"value": value, "words_seen_twice": seen,
                               "rule": f"3 special ids + the {seen:,} words seen at least {MIN_COUNT} times in the "
                                       f"training texts, up to {config.num_words:,} ids"}
    if "maxlen" in fields:
        ids = np.asarray(lengths) + (0 if config.drop_special else 1)
        percentile = int(math.ceil(np.percentile(ids, LENGTH_PERCENTILE))) if len(ids) else 1
        value = min(config.maxlen, max(MIN_MAXLEN, config.rnn_window, percentile))
        record["maxlen"] = {"value": value, f"p{LENGTH_PERCENTILE}_ids": percentile,
                            "rule": f"{percentile} ids hold {LENGTH_PERCENTILE}% of the training texts whole (start id "
                                    f"included), at least {max(MIN_MAXLEN, config.rnn_window)}, up to {config.maxlen}"}
    if "rnn_window" in fields and config.rnn_window:
        maxlen = record["maxlen"]["value"] if "maxlen" in record else config.maxlen
        if maxlen <= WHOLE_TEXT_RNN_MAXLEN:
            record["rnn_window"] = {"value": 0, "rule": f"the texts are short ({maxlen} ids, at most {WHOLE_TEXT_RNN_MAXLEN}): "
                                                       "the RNN reads all of each, its first words too"}
    if "rnn_embedding_dim" in fields and config.pretrain_bag_epochs and config.input_encoding == "embedding":
        record["rnn_embedding_dim"] = {
            "value": OWN_RNN_EMBEDDING_DIM, "rnn_units": OWN_RNN_UNITS,
            "rule": f"the RNN learns {OWN_RNN_EMBEDDING_DIM}-wide word vectors of its own with {OWN_RNN_UNITS} units, after "
                    "the bag model, and gets a share of the logits only where that lowers the validation loss"}
        config = config.with_overrides(rnn_units=OWN_RNN_UNITS)
    if "bag_prior" in fields and config.bag_prior > 0:
        median = float(np.median(lengths)) if len(lengths) else config.bag_prior
        value = min(config.bag_prior, max(1.0, median))
        record["bag_prior"] = {"value": value, "median_tokens": median,
                               "rule": f"the median training text length in tokens ({median:g}), "
                                       f"at least 1, up to {config.bag_prior:g}"}
    if "short_snippets" in fields and config.short_snippets and lengths:
        median = float(np.median(lengths))
        if median <= config.snippet_max_tokens:
            record["short_snippets"] = {"value": 0, "median_tokens": median,
                                        "rule": f"the median training text ({median:g} tokens) is a short text already "
                                                f"(at most {config.snippet_max_tokens}): its sentences would repeat it"}
    if "embedding_dim" in fields and config.task != "binary" and config.input_encoding == "embedding":
        widths = {"embedding_dim": max(config.embedding_dim, LABELS_EMBEDDING_DIM),
                  "pair_dim": max(config.pair_dim, LABELS_PAIR_DIM) if config.pair_buckets else config.pair_dim}
        record["embedding_dim"] = {"value": widths["embedding_dim"], "pair_dim": widths["pair_dim"],
                                   "rule": f"{config.num_labels} labels: bags at least {LABELS_EMBEDDING_DIM} (words) and "
                                           f"{LABELS_PAIR_DIM} (pairs) wide, so the final layer can tell the labels apart"}
        config = config.with_overrides(pair_dim=widths["pair_dim"])
    config = config.with_overrides(**{name: r["value"] for name, r in record.items()})
    if "subwords" in fields and config.head == "mean_with_bag" and config.input_encoding == "embedding":
        config, record["subwords"] = _fit_subwords(config, texts)
    return config, record


def _fit_subwords(config: TrainingConfig, texts: Iterable[str]) -> tuple[TrainingConfig, dict]:
    """Subwords on, n-grams as long as the script asks (unless the config names a range), slots fitted to the texts."""
    texts = list(texts)
    share = syllabic_share(texts)
    low, high = SYLLABIC_RANGE if share > 0.5 else SUBWORD_RANGE
    why = (f"{share:.0%} of the letters are Hangul, Han or kana: 1 to 3 of them span a syllable to a word" if share > 0.5 else
           f"{1 - share:.0%} of the letters are of alphabetic scripts: 3 to 5 of them span a morpheme")
    asked = bool(config.subword_min_n)
    if asked:
        low, high, why = config.subword_min_n, config.subword_max_n, "the lengths asked for"
    symbols = reads_symbols(config.tokenizer)
    tokenized = [tokenize(text, symbols) for text in texts]
    per_text = [sum(count_ngrams(len(t), low, high) for t in tokens[-config.maxlen:]) for tokens in tokenized]
    distinct = len({gram for word in {t for tokens in tokenized for t in tokens} for gram in ngrams(word, low, high)})
    dim = config.subword_dim or config.embedding_dim
    buckets = config.subword_buckets or _bucket_count(distinct, dim)
    percentile = int(math.ceil(np.percentile(per_text, LENGTH_PERCENTILE))) if per_text else MIN_MAXLEN
    slots = config.subword_slots or min(MAX_SUBWORDS_PER_ID * config.maxlen, max(MIN_MAXLEN, percentile))
    config = config.with_overrides(subword_min_n=low, subword_max_n=high, subword_buckets=buckets, subword_slots=slots, subword_dim=dim)
    return config, {"value": f"{low}-{high}", "asked": asked, "slots": slots, "buckets": config.subword_buckets, "dim": config.subword_dim,
                    f"p{LENGTH_PERCENTILE}_ngrams": percentile, "syllabic_letter_share": round(share, 4),
                    "distinct_ngrams": distinct,
                    "rule": f"character {low}- to {high}-grams of every word ({why}), hashed into {config.subword_buckets:,} buckets; "
                            f"{slots} per text: the {percentile} that hold {LENGTH_PERCENTILE}% of the training texts whole, "
                            f"at least {MIN_MAXLEN}, at most {MAX_SUBWORDS_PER_ID} per id"}


def _bucket_count(distinct: int, dim: int) -> int:
    wanted = 1 << max(0, 2 * distinct - 1).bit_length()
    return max(MIN_SUBWORD_BUCKETS, min(wanted, MAX_SUBWORD_BUCKETS, 1 << (MAX_SUBWORD_WEIGHTS // dim).bit_length() - 1))


def syllabic_share(texts: list[str]) -> float:
    """The share of letters (in the first :data:`SCRIPT_SAMPLE` characters) that are Hangul, Han or kana."""
    sample, size = [], 0
    for text in texts:
        sample.append(text)
        size += len(text)
        if size >= SCRIPT_SAMPLE:
            break
    joined = "".join(sample)
    letters = len(LETTER.findall(joined))
    return len(SYLLABIC.findall(joined)) / letters if letters else 0.0
