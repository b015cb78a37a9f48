"""How a classifier scores many texts: read in windows, sorted by length into model calls, encoded
on one core while another scores.

Texts are read SORT_WINDOW at a time (memory stays flat for any input) and, inside a window,
sorted by length into model calls of DEFAULT_BATCH_SIZE rows (each call skips the padding its rows
share). Tokenizing holds the GIL; onnxruntime and LiteRT release it while they compute, so a
thread scores one call while the next call's texts are encoded, where that pays; elsewhere whole
windows overlap. Every path makes the same calls, so the scores never depend on the path.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .parallel import EncodingPool

#: Rows per model call: the size that bounds peak memory without costing throughput
#: (docs/design.md, "Design figures").
DEFAULT_BATCH_SIZE = 256
#: Texts read, encoded and sorted by length at a time (bounds memory for huge
#: inputs). Leading padding that every row of a model call shares is skipped, so
#: calls made of similar lengths do far less work than a random mix.
SORT_WINDOW = 4096
#: Model calls' worth of texts from which a thread may score each call while the next one's texts
#: are encoded (with fewer, starting the thread costs what the overlap saves) ...
OVERLAP_FROM_CALLS = 2
#: ... if scoring costs at least this share of encoding's CPU time: below it, the contention of two
#: busy cores costs more than the overlap saves (benchmarks/batch_sizes.py).
OVERLAP_SHARE = 1 / 3


class BatchScorer:
    """Scores windows of texts with ``encode`` (texts to an id matrix) and ``score_ids`` (one model
    call: an id matrix to its ``outputs`` scores per row). ``releases_gil``: whether the backend
    computes outside the GIL. ``worker_pool()``: the pool of processes that encode windows for
    a call, or None to encode here. One may serve many threads."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], score_ids: Callable[[np.ndarray], np.ndarray],
                 outputs: int, releases_gil: bool, worker_pool: Callable[[], EncodingPool | None]) -> None:
        self.encode, self.score_ids, self.outputs = encode, score_ids, outputs
        self.releases_gil, self.worker_pool = releases_gil, worker_pool
        #: Scoring's CPU time over encoding's in the last batch of OVERLAP_FROM_CALLS calls' worth or more.
        self.scoring_share: float | None = None

    def scored_windows(self, texts: Iterable[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``(texts, scores)`` per window of up to SORT_WINDOW texts, in order. Only a few windows
        are in flight at a time. An error from ``texts`` is raised after every window before it
        is delivered."""
        reader = WindowReader(texts, SORT_WINDOW)
        yield from self._scored_reader_windows(reader)
        reader.raise_failure()

    def _scored_reader_windows(self, reader: WindowReader) -> Iterator[tuple[list[str], np.ndarray]]:
        windows = iter(reader)
        first = next(windows, None)
        if first is None:
            return
        second = next(windows, None)
        if second is None and len(first) < OVERLAP_FROM_CALLS * DEFAULT_BATCH_SIZE:  # too few calls to overlap
            yield first, self.score_window(first, self.encode(first))
            return
        pool = self.worker_pool() if second is not None else None
        windows = itertools.chain([first] if second is None else [first, second], windows)
        if pool is not None:
            yield from _with_scorer(self._overlapped_windows, pool.encode_windows(windows))
            return
        costs = _Costs()
        if self._overlaps_calls():
            yield from _with_scorer(self._overlapped_calls, windows, costs)
        elif second is None:  # one window, scored here
            yield first, costs.timed("scoring", self.score_window, first, costs.timed("encoding", self.encode, first))
        else:
            encoded = ((window, costs.timed("encoding", self.encode, window)) for window in windows)
            yield from _with_scorer(self._overlapped_windows, encoded, costs)
        if costs.encoding:
            self.scoring_share = costs.scoring / costs.encoding

    def _overlaps_calls(self) -> bool:
        """Whether a batch of enough calls is scored a model call at a time on a thread while the next
        call's texts are encoded here: where the backend releases the GIL and scoring (as last
        measured) costs enough beside encoding that the overlap saves more than the two busy cores'
        contention costs (each runs ~10% slower)."""
        return self.releases_gil and (self.scoring_share is None or self.scoring_share >= OVERLAP_SHARE)

    def _overlapped_calls(self, windows: Iterable[list[str]], costs: _Costs, scorer) -> Iterator[tuple[list[str], np.ndarray]]:
        """Each window's texts ordered by length and encoded here one model call's worth at a time, while
        ``scorer`` scores the calls before: similar lengths share a call (less padding) and even one
        window keeps both cores busy. A window is delivered once the next one's calls are under way."""
        def delivered(window: list[str], calls: list) -> tuple[list[str], np.ndarray]:
            return window, _collected(window, ((rows, pending.result()) for rows, pending in calls), self.outputs)

        held = None
        for window in windows:
            calls = [(rows, scorer.submit(costs.timed, "scoring", self.score_ids,
                                          costs.timed("encoding", self.encode, [window[i] for i in rows.tolist()])))
                     for rows in _calls(window)]
            if held is not None:
                yield delivered(*held)
            held = window, calls
        if held is not None:
            yield delivered(*held)

    def _overlapped_windows(self, encoded: Iterator[tuple[list[str], np.ndarray]], costs: _Costs | None = None, *,
                            scorer) -> Iterator[tuple[list[str], np.ndarray]]:
        """Window k scored by ``scorer`` while window k + 1 is encoded (in worker processes, or here
        where overlapping model calls does not pay, :meth:`_overlaps_calls`)."""
        score = self.score_window if costs is None else functools.partial(costs.timed, "scoring", self.score_window)
        window, ids = next(encoded)
        pending = scorer.submit(score, window, ids)
        for following, following_ids in encoded:
            yield window, pending.result()
            window, pending = following, scorer.submit(score, following, following_ids)
        yield window, pending.result()

    def score_window(self, window: list[str], ids: np.ndarray) -> np.ndarray:
        """The scores of ``window`` (its texts' rows: ``ids``) in input order, from the model calls of
        :func:`_calls`."""
        return _collected(window, [(rows, self.score_ids(ids[rows])) for rows in _calls(window)], self.outputs)


@dataclass
class _Costs:
    """CPU seconds a batch spent encoding and scoring, each in the thread that did it (waiting for
    the other thread or for the GIL is not counted)."""

    encoding: float = 0.0
    scoring: float = 0.0

    def timed(self, kind: str, work: Callable, *args):
        started = time.thread_time()
        result = work(*args)
        setattr(self, kind, getattr(self, kind) + time.thread_time() - started)
        return result


def _with_scorer(overlapped: Callable[..., Iterator], *args) -> Iterator:
    """``overlapped(*args, scorer=...)`` with a thread of its own to score on."""
    from concurrent.futures import ThreadPoolExecutor  # 7 ms of start-up a single text does not need

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-sentiment") as scorer:
        yield from overlapped(*args, scorer=scorer)


def _calls(window: list[str]) -> list[np.ndarray]:
    """The rows of ``window`` each model call scores: its texts by length, DEFAULT_BATCH_SIZE a call.
    Every path scores a window in these calls, so its scores never depend on the path."""
    order = np.argsort(np.fromiter(map(len, window), np.int64, len(window)), kind="stable")
    return np.array_split(order, range(DEFAULT_BATCH_SIZE, len(window), DEFAULT_BATCH_SIZE))


def _collected(window: list[str], calls: Iterable[tuple[np.ndarray, np.ndarray]], outputs: int) -> np.ndarray:
    """The scores of ``window`` in its own order, from ``calls``: (rows of the window, their scores)."""
    scores = np.empty((len(window), outputs), dtype=np.float32)
    for rows, found in calls:
        scores[rows] = found
    return scores


def checked_text(text: object) -> str:
    """``text`` if it is a string; else a TypeError that says what to pass."""
    if not isinstance(text, str):
        several = "several texts go to predict_batch(texts) or predict_proba(texts), each a string"
        hint = ("decode bytes with .decode('utf-8') first" if isinstance(text, (bytes, bytearray))
                else several if isinstance(text, (list, tuple)) else "pass the text as a string")
        raise TypeError(f"text must be str, got {type(text).__name__}; {hint}")
    return text


class WindowReader:
    """Iterates lists of up to ``size`` texts. If reading ``texts`` fails, the texts
    read before the failure form the last window and the error is kept for
    :meth:`raise_failure`, so a caller can deliver everything before it first."""

    def __init__(self, texts: Iterable[str], size: int) -> None:
        self._texts, self._size = texts, size
        self._failure: Exception | None = None

    def __iter__(self) -> Iterator[list[str]]:
        it = iter(self._texts)
        while True:
            window: list[str] = []
            try:
                for text in itertools.islice(it, self._size):
                    window.append(checked_text(text))
            except Exception as exc:  # noqa: BLE001 - kept and re-raised by raise_failure
                self._failure = exc
            if window:
                yield window
            if self._failure is not None or len(window) < self._size:
                return

    def raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
