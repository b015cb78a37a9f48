"""Subword features: hashed character n-grams of each word, fastText-style.

A word outside the vocabulary is id 2 like any other unknown word, but its character
n-grams still carry meaning: "terible" shares "<te", "ter", "ible>" with "terrible",
"amazinggg" shares "<ama", "amaz" with "amazing", and a Korean word with a particle
attached shares its stem's syllables with the bare word. The model averages a vector per
n-gram bucket beside its bags of words and pairs.

The exact definition (docs/bundle-format.md, "Subwords"), which the JavaScript runtime
implements too (js/src/subwords.js) and the conformance cases prove equal:

* each kept token (the tokens whose ids survive truncation, in text order) is marked as
  ``"<" + token + ">"``; its n-grams are the substrings of ``min_n`` to ``max_n`` code
  points, ordered by start position, then by length;
* an n-gram's bucket is ``1 + fnv1a32(utf8(ngram)) mod buckets`` (0 is padding);
* a text's subword ids are its tokens' buckets in that order; more than ``slots`` of them
  are cut like the word ids (``truncating="pre"`` keeps the last ``slots``), fewer are
  padded with 0 on the side ``padding`` says.

NumPy only: the runtime imports it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import accumulate, chain, repeat
from typing import overload

import numpy as np

from .forks import renew_after_fork

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
BEGIN_MARK, END_MARK = "<", ">"
#: The hash's name in the manifest.
HASH_NAME = "fnv1a32"
#: Tokens whose buckets are kept per encoder (the vocabulary's words come back again and again).
CACHE_LIMIT = 200_000
#: Up to about this many n-grams (every length counted at every position, so about 1.5 times
#: as many as there are), a few tokens are hashed in Python (:func:`few_token_buckets`, ~0.5 µs
#: an n-gram), more vectorised (:func:`token_buckets`, ~60 µs of NumPy calls, then ~0.1 µs each).
PYTHON_TOKEN_GRAMS = 192
#: N-gram start positions hashed per vectorised step of :func:`token_buckets` (bounds its memory).
HASH_CHUNK = 1 << 15


@dataclass(frozen=True)
class SubwordConfig:
    """Which n-grams a word contributes and how many a text keeps (stored in the manifest)."""

    min_n: int
    max_n: int
    buckets: int
    slots: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_n <= self.max_n <= 8:
            raise ValueError(f"subword n-grams need 1 <= min_n <= max_n <= 8, got {self.min_n}..{self.max_n}")
        if not 1 <= self.buckets <= 1 << 22:
            raise ValueError(f"subword buckets must be in [1, {1 << 22}], got {self.buckets}")
        if self.slots < 1:
            raise ValueError(f"subword slots must be at least 1, got {self.slots}")

    def to_dict(self) -> dict:
        return {**asdict(self), "hash": HASH_NAME, "marks": [BEGIN_MARK, END_MARK]}


def ngrams(token: str, min_n: int, max_n: int) -> list[str]:
    """The n-grams of ``token`` marked as ``<token>``, by start position, then length."""
    marked = BEGIN_MARK + token + END_MARK
    return _grams(marked, 0, len(marked), min_n, max_n)


def _grams(marked: str, first: int, stop: int, min_n: int, max_n: int) -> list[str]:
    """The n-grams of ``marked`` that start at ``first`` to ``stop - 1``; a mark alone is no n-gram."""
    size = len(marked)
    return [marked[i : i + n] for i in range(first, stop) for n in range(min_n, min(max_n, size - i) + 1)
            if n > 1 or 0 < i < size - 1]


@overload
def count_ngrams(length: int, min_n: int, max_n: int) -> int: ...


@overload
def count_ngrams(length: np.ndarray, min_n: int, max_n: int) -> np.ndarray: ...


def count_ngrams(length, min_n, max_n):
    """How many n-grams :func:`ngrams` gives for a token of ``length`` code points (or for each
    of an array of lengths)."""
    size = length + 2
    counts = sum(np.maximum(size - n + 1, 0) if n > 1 else length for n in range(min_n, max_n + 1))
    return counts if isinstance(length, np.ndarray) else int(counts)


def fnv1a32(data: Sequence[bytes]) -> np.ndarray:
    """FNV-1a (32 bit) of each byte string, vectorised over the strings: ``uint32 [len(data)]``."""
    lengths = np.fromiter(map(len, data), np.int64, len(data))
    hashes = np.full(len(data), FNV_OFFSET, dtype=np.uint32)
    if not len(data):
        return hashes
    width = int(lengths.max())
    matrix = np.zeros((len(data), width), dtype=np.uint32)
    flat = np.frombuffer(b"".join(data), dtype=np.uint8)
    rows = np.repeat(np.arange(len(data)), lengths)
    columns = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    matrix[rows, columns] = flat
    prime = np.uint32(FNV_PRIME)
    for column in range(width):
        active = lengths > column
        hashes[active] = (hashes[active] ^ matrix[active, column]) * prime  # uint32 wraps mod 2**32
    return hashes


def buckets_of(grams: Sequence[str], buckets: int) -> np.ndarray:
    """``1 + fnv1a32(utf8(gram)) mod buckets`` for each gram, as int32: the definition, which the
    tests hold the faster paths to (and which hashes the kept part of a word longer than the slots)."""
    encoded = [gram.encode("utf-8", "surrogatepass") for gram in grams]
    return (fnv1a32(encoded) % np.uint32(buckets)).astype(np.int32) + 1


def token_buckets(tokens: Sequence[str], min_n: int, max_n: int, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`buckets_of` the :func:`ngrams` of each token, one token after the other, and how
    many each token has, without making the n-gram strings: the marked tokens' UTF-8 bytes are
    hashed from every code point onwards at once, FNV-1a's running hash read off at each n."""
    if not tokens:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    # (one join makes every marked token: "<" + "><".join(tokens) + ">")
    joined = BEGIN_MARK + (END_MARK + BEGIN_MARK).join(tokens) + END_MARK
    data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    sizes = np.fromiter(map(len, tokens), np.int64, len(tokens)) + 2  # (marked, in code points)
    bounds = np.append(np.flatnonzero((data & 0xC0) != 0x80), len(data))  # each code point's first byte, then the end
    # (zero bytes after the end: a running hash may read past its token, never past the data)
    data = np.concatenate([data, np.zeros(4 * max_n, dtype=np.uint8)])
    position = np.arange(len(bounds) - 1) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # in its token
    left = np.repeat(sizes, sizes) - position  # code points from there to its token's end
    lengths = np.arange(1, max_n + 1)
    # (start, n) holds an n-gram if it fits in the token and is not a mark alone
    valid = (lengths >= min_n) & (lengths <= left[:, None]) & ((lengths > 1) | ((position > 0) & (left > 1))[:, None])
    chunks = [_running_hashes(data, bounds, start, min(start + HASH_CHUNK, len(position)), valid, max_n)
              for start in range(0, len(position), HASH_CHUNK)]
    hashes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint32)
    return (hashes % np.uint32(buckets)).astype(np.int32) + 1, count_ngrams(sizes - 2, min_n, max_n)


def _running_hashes(data: np.ndarray, bounds: np.ndarray, first: int, stop: int, valid: np.ndarray, max_n: int) -> np.ndarray:
    """FNV-1a of the valid n-grams starting at code points ``first`` to ``stop - 1``, by start, then n:
    the running hash from each start, kept after every byte, read off at each n-gram's length."""
    begins = bounds[first:stop]
    ends = bounds[np.minimum(np.arange(first, stop)[:, None] + np.arange(1, max_n + 1), len(bounds) - 1)]
    starts, ns = np.nonzero(valid[first:stop])
    lengths = ends[starts, ns] - begins[starts]  # each n-gram's bytes
    width = int(lengths.max()) if len(lengths) else 0
    running = np.full(stop - first, FNV_OFFSET, dtype=np.uint32)
    states = np.empty((stop - first, width), dtype=np.uint32)
    prime = np.uint32(FNV_PRIME)
    for column in range(width):
        running = (running ^ data[begins + column]) * prime  # uint32 wraps mod 2**32
        states[:, column] = running
    return states[starts, lengths - 1]


def few_token_buckets(tokens: Sequence[str], min_n: int, max_n: int, buckets: int) -> tuple[list[int], list[int]]:
    """:func:`token_buckets` of a few tokens, in Python (one text's new words): from each start
    position one running hash over the next ``max_n`` code points, read off at each n, so the
    n-grams that start there share their bytes and no n-gram string is made."""
    ids: list[int] = []
    counts: list[int] = []
    for token in tokens:
        marked = BEGIN_MARK + token + END_MARK
        before = len(ids)
        if marked.isascii():  # (a code point is one byte)
            _ascii_running_buckets(marked.encode(), min_n, max_n, buckets, ids)
        else:
            _running_buckets([c.encode("utf-8", "surrogatepass") for c in marked], min_n, max_n, buckets, ids)
        counts.append(len(ids) - before)
    return ids, counts


def _ascii_running_buckets(data: bytes, min_n: int, max_n: int, buckets: int, ids: list[int]) -> None:
    """Append the buckets of the n-grams of a marked ASCII token (``data``), by start, then n."""
    size = len(data)
    for start in range(size):
        value = FNV_OFFSET
        for n, byte in enumerate(data[start : start + max_n], 1):
            value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
            if n >= min_n and (n > 1 or 0 < start < size - 1):  # (a mark alone is no n-gram)
                ids.append(value % buckets + 1)


def _running_buckets(points: list[bytes], min_n: int, max_n: int, buckets: int, ids: list[int]) -> None:
    """:func:`_ascii_running_buckets` of a marked token given as its code points' UTF-8 bytes."""
    size = len(points)
    for start in range(size):
        value = FNV_OFFSET
        for n, point in enumerate(points[start : start + max_n], 1):
            for byte in point:
                value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
            if n >= min_n and (n > 1 or 0 < start < size - 1):
                ids.append(value % buckets + 1)


class SubwordEncoder:
    """The subword ids of kept tokens, per :class:`SubwordConfig`. Each token's buckets are hashed
    once and kept in one flat array (a token is a start and a count there), so a batch gathers
    every token's ids in one step, and its word id with them. Threads may share one: they take
    turns with the table."""

    def __init__(self, config: SubwordConfig, from_end: bool, pad_before: bool,
                 word_ids: Callable[[list[str]], Iterable[int]] | None = None) -> None:
        self.config = config
        self.from_end, self.pad_before = from_end, pad_before
        #: Each token's word id (the encoder's vocabulary lookup), kept in the table beside its
        #: n-grams, so a batch looks each token up once for both (:meth:`rows_and_word_ids`).
        self._word_ids_of = word_ids
        #: The longest token whose n-grams all fit in the slots (their count grows with the length).
        self._longest_whole = 0
        while count_ngrams(self._longest_whole + 1, config.min_n, config.max_n) <= config.slots:
            self._longest_whole += 1
        # One classifier may serve many threads: one at a time changes the table or reads it.
        self._lock = threading.Lock()
        self._clear()
        renew_after_fork(self)

    def _after_fork(self) -> None:
        """In a child process forked while another thread held the table (its lock held, the table
        perhaps half written): a lock of its own and an empty table, which refills as it scores."""
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._row_of: dict[str, int] = {}
        # Views into the flat array, for one text at a time: made when kept() first needs them
        # (a batch's new words, placed by rows(), never do).
        self._ids_of_row: list[np.ndarray] = []
        self._starts = np.zeros(1024, dtype=np.int64)
        self._counts = np.zeros(1024, dtype=np.int64)
        self._word_ids = np.zeros(1024, dtype=np.int32)
        self._flat = np.zeros(1 << 14, dtype=np.int32)
        self._used = 0

    def kept(self, tokens: Sequence[str]) -> np.ndarray:
        """The subword ids of ``tokens`` that survive truncation to ``slots`` (1-D int32)."""
        with self._lock:
            return self._kept(tokens)

    def _kept(self, tokens: Sequence[str]) -> np.ndarray:
        # A text's new words are hashed in one call (one costs what one word alone would); all of
        # its words go: should the table start again, every one of them is in the new table.
        if not all(map(self._row_of.__contains__, tokens)):
            self._warm(tokens)
        if not tokens:
            return np.zeros(0, dtype=np.int32)
        # (read after _warm(), which may have started the table again; a word longer than the
        # slots is in it as the part a text can keep, so cutting the word at the edge cuts that)
        ids = np.concatenate(list(map(self._views().__getitem__, map(self._row_of.__getitem__, tokens))))
        slots = self.config.slots
        return ids if len(ids) <= slots else ids[-slots:] if self.from_end else ids[:slots]

    def rows(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """``pad([kept(tokens) for tokens in token_lists])`` in one vectorised step: every token's
        ids gathered from the table, then each text's last (or first) ``slots`` of them placed.
        (A token cut at the edge keeps the ids :meth:`kept` gives it: n-grams come by start
        position, so the part it hashes is the end, or the start, of the whole token's list.)"""
        with self._lock:
            return self._rows(token_lists, self._table_rows(list(chain.from_iterable(token_lists))))

    def rows_and_word_ids(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`rows`, and every token's word id, one text's tokens after the other's (an encoder
        made with ``word_ids`` only)."""
        if self._word_ids_of is None:
            raise ValueError("this SubwordEncoder was made without word_ids: use rows()")
        with self._lock:
            table_rows = self._table_rows(list(chain.from_iterable(token_lists)))
            return self._rows(token_lists, table_rows), self._word_ids[table_rows]

    def _rows(self, token_lists: Sequence[Sequence[str]], table_rows: np.ndarray) -> np.ndarray:
        slots = self.config.slots
        counts = self._counts[table_rows]
        tokens_per_text = np.fromiter(map(len, token_lists), np.int64, len(token_lists))
        ends = np.cumsum(tokens_per_text)
        running = np.concatenate([[0], np.cumsum(counts)])
        starts, stops = running[ends - tokens_per_text], running[ends]
        flat = self._gathered(table_rows, counts, running)
        filled = np.minimum(stops - starts, slots)
        if (starts + filled < stops).any():  # some texts have more n-grams than slots: keep theirs at the kept end
            first = stops - filled if self.from_end else starts
            flat = flat[np.repeat(first - (np.cumsum(filled) - filled), filled) + np.arange(filled.sum())]
        columns = np.arange(slots)
        out = np.zeros((len(token_lists), slots), dtype=np.int32)
        out[columns >= slots - filled[:, None] if self.pad_before else columns < filled[:, None]] = flat  # row by row
        return out

    def pad(self, kept: Sequence[np.ndarray]) -> np.ndarray:
        """Rows of :meth:`kept` results padded with 0 to ``slots`` columns."""
        out = np.zeros((len(kept), self.config.slots), dtype=np.int32)
        for row, ids in enumerate(kept):
            if len(ids):
                if self.pad_before:
                    out[row, self.config.slots - len(ids):] = ids
                else:
                    out[row, : len(ids)] = ids
        return out

    def _gathered(self, table_rows: np.ndarray, counts: np.ndarray, running: np.ndarray) -> np.ndarray:
        """The ids of the table's ``table_rows``, one after the other (``counts``: theirs; ``running``:
        0, then their cumulative sum)."""
        # Each token's ids: its start in the flat table, then the next count - 1.
        return self._flat[np.repeat(self._starts[table_rows] - running[:-1], counts) + np.arange(running[-1])]

    def _table_rows(self, tokens: list[str]) -> np.ndarray:
        """Each token's row in the table (hashing the tokens not in it yet)."""
        rows = np.fromiter(map(self._row_of.get, tokens, repeat(-1)), np.int64, len(tokens))
        missing = np.flatnonzero(rows < 0)
        if not len(missing):
            return rows
        missing_tokens = [tokens[index] for index in missing.tolist()]
        if self._add(list(dict.fromkeys(missing_tokens)), tokens):  # the table started again: every row moved
            return np.fromiter(map(self._row_of.__getitem__, tokens), np.int64, len(tokens))
        rows[missing] = list(map(self._row_of.__getitem__, missing_tokens))
        return rows

    def warm(self, tokens: Sequence[str]) -> None:
        """Hash the n-grams of every token not in the table yet, all in one pass."""
        with self._lock:
            self._warm(tokens)

    def _warm(self, tokens: Sequence[str]) -> None:
        new = [t for t in dict.fromkeys(tokens) if t not in self._row_of]
        if new:
            self._add(new, tokens)

    def _add(self, new: list[str], tokens: Sequence[str]) -> bool:
        """Hash ``new`` (distinct tokens not in the table, from ``tokens``) into the table. True if
        the table had to start again: then every one of ``tokens`` is hashed into the new table."""
        cleared = len(self._row_of) + len(new) > CACHE_LIMIT
        if cleared:
            self._clear()
            new = list(dict.fromkeys(tokens))
        min_n, max_n, buckets = self.config.min_n, self.config.max_n, self.config.buckets
        longest = self._longest_whole
        if max(map(len, new)) > longest:
            # A word with more n-grams than a text keeps gives a text at most its last (first) slots
            # of them: only those are hashed and kept, so rows() places the same ids at any length.
            long = [token for token in new if len(token) > longest]
            parts = [self._part(token, self.config.slots) for token in long]
            self._append(long, np.concatenate(parts), [len(part) for part in parts])
            new = [token for token in new if len(token) <= longest]
        if not new:
            return cleared
        if (sum(map(len, new)) + 2 * len(new)) * (max_n - min_n + 1) > PYTHON_TOKEN_GRAMS:
            ids, counts = token_buckets(new, min_n, max_n, buckets)
            self._append(new, ids, counts.tolist())
        else:
            self._append(new, *few_token_buckets(new, min_n, max_n, buckets))
        return cleared

    def _append(self, tokens: list[str], flat: np.ndarray | list[int], counts: Sequence[int]) -> None:
        """Add ``tokens`` (their ids, concatenated in ``flat``; ``counts``: how many each has) to the
        table, growing its arrays by doubling."""
        first_row, first_id = len(self._row_of), self._used
        bounds = list(accumulate(counts, initial=first_id))  # (Python ints: a few tokens cost no NumPy calls)
        self._flat = _room_for(self._flat, bounds[-1])
        self._starts = _room_for(self._starts, first_row + len(tokens))
        self._counts = _room_for(self._counts, first_row + len(tokens))
        self._flat[first_id : bounds[-1]] = flat
        self._starts[first_row : first_row + len(tokens)] = bounds[:-1]
        self._counts[first_row : first_row + len(tokens)] = counts
        if self._word_ids_of is not None:
            self._word_ids = _room_for(self._word_ids, first_row + len(tokens))
            self._word_ids[first_row : first_row + len(tokens)] = np.fromiter(self._word_ids_of(tokens), np.int32, len(tokens))
        self._row_of.update(zip(tokens, range(first_row, first_row + len(tokens))))
        self._used = bounds[-1]

    def _views(self) -> list[np.ndarray]:
        """Each row's ids as a view into the flat array, made for the rows added since the last call.
        (A view stays valid when the arrays grow: it keeps the old buffer, whose ids never change.)"""
        views, rows = self._ids_of_row, len(self._row_of)
        if len(views) < rows:
            table = self._flat
            starts, counts = self._starts[len(views) : rows].tolist(), self._counts[len(views) : rows].tolist()
            views.extend(table[start : start + count] for start, count in zip(starts, counts))
        return views

    def _part(self, token: str, room: int) -> np.ndarray:
        """The last (or first) ``room`` n-gram ids of a token that has more than that."""
        min_n, max_n = self.config.min_n, self.config.max_n
        marked = BEGIN_MARK + token + END_MARK
        # Start positions whose n-grams are kept: n-grams come by start position, and each
        # start position gives at most max_n - min_n + 1 of them.
        span = room + max_n
        if self.from_end:
            grams = _grams(marked, max(len(marked) - span, 0), len(marked), min_n, max_n)
            return buckets_of(grams[-room:], self.config.buckets)
        grams = _grams(marked, 0, min(span, len(marked)), min_n, max_n)
        return buckets_of(grams[:room], self.config.buckets)


def _room_for(array: np.ndarray, size: int) -> np.ndarray:
    """``array``, or a copy at least twice as long, so that it holds ``size`` entries."""
    if size <= len(array):
        return array
    grown = np.zeros(max(size, 2 * len(array)), dtype=array.dtype)
    grown[: len(array)] = array
    return grown
