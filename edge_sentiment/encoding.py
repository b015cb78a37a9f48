"""Turn tokens into the fixed-length id matrix the model reads.

This is the NumPy twin of ``keras.datasets.imdb`` + ``keras.utils.pad_sequences``:
a text becomes ``[START_ID, id(word1), id(word2), ...]``, then it is padded or
truncated to ``maxlen``. Tests prove :func:`pad_sequences` equal to the Keras
function for every mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import chain, repeat

import numpy as np

from .constants import FIRST_WORD_ID, LAST_SPECIAL_ID, OOV_ID, PAD_ID, PADDING_MODES, START_ID, TOKENIZER_NAME, TOKENIZERS
from .subwords import SubwordConfig, SubwordEncoder
from .text import reads_symbols, tokenize


@dataclass(frozen=True)
class EncodingConfig:
    """Every parameter that decides which ids a text becomes (stored in the manifest)."""

    maxlen: int
    num_words: int
    skip_top: int = 0
    padding: str = "pre"
    truncating: str = "pre"
    #: Drop the start and OOV ids (keep only ``id > 2``), as two seed models did.
    drop_special: bool = False
    #: Hashed character n-grams of the kept words, in ``slots`` columns after the word ids (None: none).
    subwords: SubwordConfig | None = None
    #: The tokenizer (edge_sentiment/text.py): "edge-sentiment-v1", or "-v2" (symbols are tokens too).
    tokenizer: str = TOKENIZER_NAME

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {self.tokenizer!r}")
        if self.maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {self.maxlen}")
        if self.num_words <= FIRST_WORD_ID:
            raise ValueError(f"num_words must be above {FIRST_WORD_ID}, got {self.num_words}")
        if not 0 <= self.skip_top < self.num_words:
            raise ValueError(f"skip_top must be in [0, num_words), got {self.skip_top}")
        for name in ("padding", "truncating"):
            if getattr(self, name) not in PADDING_MODES:
                raise ValueError(f"{name} must be one of {PADDING_MODES}, got {getattr(self, name)!r}")
        if self.subwords is not None and self.drop_special:
            raise ValueError("subwords need drop_special False (they follow the kept words, unknown ones included)")

    @property
    def symbols(self) -> bool:
        """Whether the tokenizer makes each symbol a token (``tokenize(text, symbols)``)."""
        return reads_symbols(self.tokenizer)

    def tokenize(self, text: str) -> list[str]:
        """``text``'s tokens, by this encoding's tokenizer."""
        return tokenize(text, self.symbols)

    @property
    def width(self) -> int:
        """Columns of an encoded row: ``maxlen`` word ids, then the subword slots (if any)."""
        return self.maxlen + (self.subwords.slots if self.subwords else 0)

    def to_dict(self) -> dict:
        out = {"tokenizer": self.tokenizer, **asdict(self)}
        del out["subwords"]
        if self.subwords is not None:
            out["subwords"] = self.subwords.to_dict()
        return out


def pad_sequences(
    sequences: Sequence[Sequence[int] | np.ndarray],
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = PAD_ID,
) -> np.ndarray:
    """Pad or cut every sequence to ``maxlen`` (same result as Keras' ``pad_sequences``)."""
    out = np.full((len(sequences), maxlen), value, dtype=np.int32)
    for row, seq in enumerate(sequences):
        _place(out[row], seq, padding, truncating)
    return out


def _place(row: np.ndarray, seq: Sequence[int] | np.ndarray, padding: str, truncating: str) -> None:
    """Write ``seq`` into the pre-filled ``row``, cut and aligned as the modes say."""
    maxlen = len(row)
    kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
    if not len(kept):
        return
    if padding == "pre":
        row[maxlen - len(kept):] = kept
    else:
        row[: len(kept)] = kept


#: Texts up to ``maxlen * WINDOW_CHARS_PER_ID`` characters are tokenized whole;
#: longer ones through a window at the end that truncation keeps (median IMDB
#: token + separator is ~5.5 characters, so this window almost always suffices).
WINDOW_CHARS_PER_ID = 16


class Encoder:
    """Maps text to padded id rows with a fixed vocabulary and :class:`EncodingConfig`.

    ``vocab`` maps a word to its id (``FIRST_WORD_ID`` and up, by training-set
    frequency). Words whose id is ``>= num_words`` or ``< skip_top`` read as OOV.
    """

    def __init__(self, vocab: Mapping[str, int], config: EncodingConfig) -> None:
        self.config = config
        # Resolve num_words / skip_top once, so a lookup is a single dict.get.
        self._ids = {w: i for w, i in vocab.items() if config.skip_top <= i < config.num_words}
        self.subwords = None
        if config.subwords is not None:
            self.subwords = SubwordEncoder(config.subwords, config.truncating == "pre", config.padding == "pre", self._lookup_iter)

    def ids(self, text: str) -> list[int]:
        """The whole id sequence of one text, before padding: start id, then one id per token."""
        return self._special_filtered([START_ID] + self._lookup(self.config.tokenize(text)))

    def kept_ids(self, text: str) -> list[int]:
        """The ids of ``text`` that survive truncation to ``maxlen`` (what :meth:`encode` writes).

        Equal to truncating :meth:`ids`, but a long text is tokenized only in a
        window at the end that truncation keeps (the start for ``truncating="post"``),
        so a 10 MB text costs about as much as a short one.
        """
        return self.kept_array(text).tolist()

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """Encode texts into an ``(n, width)`` int32 matrix ready for the model: ``maxlen``
        word ids, then (with subwords) the subword ids (:attr:`EncodingConfig.width`)."""
        if self.subwords is None:
            return self.pad([self.kept_array(text) for text in texts])
        kept = [self.kept_tokens(text) for text in texts]
        token_lists = [tokens for tokens, _ in kept]
        subwords, word_ids = self.subwords.rows_and_word_ids(token_lists)
        words = self._word_rows(token_lists, word_ids, np.fromiter((start for _, start in kept), bool, len(kept)))
        return np.concatenate([words, subwords], axis=1)

    def _word_rows(self, token_lists: list[list[str]], ids: np.ndarray, with_start: np.ndarray) -> np.ndarray:
        """The padded id rows of texts' kept tokens (each fits ``maxlen`` with its start id; ``ids``:
        every token's id, one text after the other), placed in one vectorised step."""
        maxlen = self.config.maxlen
        lengths = np.fromiter(map(len, token_lists), np.int64, len(token_lists))[:, None]
        first = maxlen - lengths if self.config.padding == "pre" else with_start[:, None].astype(np.int64)
        columns = np.arange(maxlen)
        out = np.full((len(token_lists), maxlen), PAD_ID, dtype=np.int32)
        out[(columns >= first) & (columns < first + lengths)] = ids  # row by row, in text order
        starts = np.flatnonzero(with_start)
        out[starts, first[starts, 0] - 1 if self.config.padding == "pre" else 0] = START_ID
        return out

    def pad(self, kept: Sequence[np.ndarray], subwords: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """Rows of :meth:`kept_array` results, padded to ``maxlen`` as the config says; with
        subwords, each row continues with its :meth:`kept_subwords` padded to the slots."""
        words = pad_sequences(kept, self.config.maxlen, self.config.padding, self.config.truncating)
        if self.subwords is None:
            return words
        if subwords is None:
            raise ValueError("this encoding has subwords: pass each row's kept_subwords too")
        return np.concatenate([words, self.subwords.pad(subwords)], axis=1)

    def kept_with_subwords(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`kept_array` and :meth:`kept_subwords` of ``text``, tokenized once (subword encodings only)."""
        if self.subwords is None:
            raise ValueError("this encoding has no subwords: use kept_array")
        tokens, start = self.kept_tokens(text)
        return self._ids_of(tokens, start), self.subwords.kept(tokens)

    def kept_subwords(self, text: str) -> np.ndarray:
        """The subword ids of ``text``'s kept words (edge_sentiment/subwords.py), unpadded."""
        if self.subwords is None:
            return np.zeros(0, dtype=np.int32)
        return self.subwords.kept(self.kept_tokens(text)[0])

    def kept_tokens(self, text: str) -> tuple[list[str], bool]:
        """The tokens whose ids survive truncation, and whether the start id does too.
        (Subword bundles only: they never drop special ids, so this follows the ids exactly.)"""
        maxlen, from_end = self.config.maxlen, self.config.truncating == "pre"
        window = maxlen * WINDOW_CHARS_PER_ID
        while window < len(text):
            part = text[-window:] if from_end else text[:window]
            tokens = self.config.tokenize(part)
            tokens = tokens[1:] if from_end else tokens[:-1]  # the token at the cut may be a fragment
            if len(tokens) + (not from_end) >= maxlen:  # the window held enough words
                return (tokens[-maxlen:], False) if from_end else (tokens[: maxlen - 1], True)
            window *= 4
        tokens = self.config.tokenize(text)
        if 1 + len(tokens) <= maxlen:
            return tokens, True
        return (tokens[-maxlen:], False) if from_end else (tokens[: maxlen - 1], True)

    def _ids_of(self, tokens: list[str], with_start: bool) -> np.ndarray:
        looked_up = self._lookup_iter(tokens)
        return np.fromiter(chain((START_ID,), looked_up) if with_start else looked_up, np.int32, with_start + len(tokens))

    def kept_array(self, text: str) -> np.ndarray:
        """:meth:`kept_ids` as an int32 array (one text's input to a single-text graph)."""
        maxlen, from_end = self.config.maxlen, self.config.truncating == "pre"
        window = maxlen * WINDOW_CHARS_PER_ID
        while window < len(text):
            part = text[-window:] if from_end else text[:window]
            # The token at the cut may be a fragment (of a word, of "<br />", of a
            # letter and its combining marks): drop it; every other token is whole.
            tokens = self.config.tokenize(part)
            ids = self._truncated(tokens[1:], with_start=False) if from_end else self._truncated(tokens[:-1], with_start=True)
            if len(ids) == maxlen:  # the window held enough words
                return ids
            window *= 4
        return self._truncated(self.config.tokenize(text), with_start=True)

    def _truncated(self, tokens: list[str], with_start: bool) -> np.ndarray:
        """The ids of ``[START_ID] (if with_start) + tokens`` that truncation to maxlen keeps.

        Only the tokens that survive are looked up, straight into the array
        (np.fromiter over the lookup costs what building the list alone does).
        """
        maxlen, from_end = self.config.maxlen, self.config.truncating == "pre"
        if self.config.drop_special:  # which ids survive depends on the lookup: look all up
            ids = np.fromiter(self._lookup_iter(tokens), np.int32, len(tokens))
            ids = ids[ids > LAST_SPECIAL_ID]  # the start id would be dropped too
            return ids[-maxlen:] if from_end else ids[:maxlen]
        if with_start + len(tokens) > maxlen:
            if from_end:
                tokens, with_start = tokens[-maxlen:], False
            else:
                tokens = tokens[: maxlen - with_start]
        return self._ids_of(tokens, with_start)

    def _lookup_iter(self, tokens: list[str]) -> Iterator[int]:
        # map() with a bound dict.get runs the loop in C, unlike a list comprehension.
        return map(self._ids.get, tokens, repeat(OOV_ID))

    def token_ids(self, tokens: list[str]) -> list[int]:
        """Each token's id (``oov_id`` for words outside the vocabulary, ``skip_top`` and ``num_words``)."""
        return self._lookup(tokens)

    def _lookup(self, tokens: list[str]) -> list[int]:
        return list(self._lookup_iter(tokens))

    def _special_filtered(self, ids: list[int]) -> list[int]:
        return [i for i in ids if i > LAST_SPECIAL_ID] if self.config.drop_special else ids
