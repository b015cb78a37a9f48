"""The public API: load a bundle once, then score texts."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .backends import load_backend
from .bundle import Bundle, load_bundle
from .constants import DEFAULT_THRESHOLD
from .encoding import Encoder

#: Rows per model call. Measured on the default model (maxlen 500): 256 holds
#: peak RSS near 160 MB at the same throughput as 128 or 512; 1024 is ~15%
#: faster but needs ~400 MB.
DEFAULT_BATCH_SIZE = 256
#: Texts read, encoded and sorted by length at a time (bounds memory for huge
#: inputs). Leading padding that every row of a model call shares is skipped, so
#: calls made of similar lengths do far less work than a random mix.
SORT_WINDOW = 4096


@dataclass(frozen=True)
class Prediction:
    """One result: ``label`` is ``"positive"`` or ``"negative"``; ``score`` is P(positive)."""

    label: str
    score: float


class SentimentClassifier:
    """A sentiment model ready to score text. Create it with :meth:`load`.

    Thread-safe: one instance may be shared by many threads.
    """

    def __init__(
        self, bundle: Bundle, backend: str = "onnx", threshold: float = DEFAULT_THRESHOLD, workers: int = 1
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.bundle = bundle
        self.backend = backend
        self.threshold = threshold
        #: Processes that tokenize large batches (more than SORT_WINDOW texts); 1: this process only.
        self.workers = workers
        self._encoder = Encoder(bundle.vocab, bundle.encoding)
        self._run = load_backend(backend, bundle)
        self._pool = None
        self._pool_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        backend: str = "onnx",
        threshold: float = DEFAULT_THRESHOLD,
        workers: int = 1,
    ) -> SentimentClassifier:
        """Load the bundle at ``path``; ``None`` loads the model shipped with the package.

        ``workers`` > 1 tokenizes large batches in that many worker processes
        (started at the first batch of more than SORT_WINDOW texts; see :meth:`close`).
        """
        return cls(load_bundle(path), backend=backend, threshold=threshold, workers=workers)

    def close(self) -> None:
        """Stop the worker processes, if any were started (they also stop when Python exits)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __enter__(self) -> SentimentClassifier:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def predict(self, text: str) -> Prediction:
        """Classify one text."""
        kept = self._encoder.kept_array(_checked_text(text))
        if self._run.one is not None and len(kept) >= self._run.one_min_steps:
            return self._prediction(self._run.one(kept))  # a single-review graph: no padded row
        # The direct path: no windows or sorting to arrange for a single row.
        return self._prediction(float(self._run(self._encoder.pad([kept]))[0]))

    def predict_batch(self, texts: Iterable[str]) -> list[Prediction]:
        """Classify many texts; the result has one :class:`Prediction` per text, in order."""
        return [self._prediction(float(p)) for p in self.predict_proba(texts)]

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """P(positive) for each text, as a float32 array of shape ``(len(texts),)``."""
        _refuse_single_string(texts)
        scores = [window_scores for _, window_scores in self._scored_windows(texts)]
        return np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)

    def iter_predict(self, texts: Iterable[str]) -> Iterator[tuple[str, Prediction]]:
        """Stream ``(text, Prediction)`` pairs in input order from any iterable of texts
        (a file object's lines, a generator): memory stays flat however many there are."""
        _refuse_single_string(texts)  # now, not at the first next()
        return (
            (text, self._prediction(score))
            for window, window_scores in self._scored_windows(texts)
            for text, score in zip(window, window_scores.tolist())
        )

    def _scored_windows(self, texts: Iterable[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``(texts, scores)`` per window of up to SORT_WINDOW texts, in order.

        With more than one window, window k is scored on a worker thread while
        window k + 1 is encoded (here, or in worker processes): tokenizing holds
        the GIL, the backends release it while they compute, so the two overlap.
        Only a few windows are in flight at a time, so memory stays flat.
        """
        windows = _chunks(texts, SORT_WINDOW)
        first = next(windows, None)
        if first is None:
            return
        second = next(windows, None)
        if second is None:  # one window: nothing to overlap
            yield first, self._score_window(self._encoder.encode(first))
            return
        encoded = self._encoded_windows(itertools.chain([first, second], windows))
        from concurrent.futures import ThreadPoolExecutor  # 7 ms of start-up a single review does not need

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-sentiment") as scorer:
            window, ids = next(encoded)
            pending = scorer.submit(self._score_window, ids)
            for following, following_ids in encoded:
                yield window, pending.result()
                window, pending = following, scorer.submit(self._score_window, following_ids)
            yield window, pending.result()

    def _encoded_windows(self, windows: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        if self.workers == 1:
            return ((window, self._encoder.encode(window)) for window in windows)
        with self._pool_lock:
            if self._pool is None:
                from .parallel import EncodingPool

                self._pool = EncodingPool(self.bundle.vocab, self.bundle.encoding, self.workers)
            pool = self._pool
        return pool.encode_windows(windows)

    def _score_window(self, ids: np.ndarray) -> np.ndarray:
        """Score rows in model calls of similar length; results come back in input order."""
        if len(ids) <= DEFAULT_BATCH_SIZE:
            return self._run(ids)
        order = np.argsort(np.count_nonzero(ids, axis=1), kind="stable")
        scores = np.empty(len(ids), dtype=np.float32)
        for start in range(0, len(ids), DEFAULT_BATCH_SIZE):
            rows = order[start : start + DEFAULT_BATCH_SIZE]
            scores[rows] = self._run(ids[rows])
        return scores

    def _prediction(self, score: float) -> Prediction:
        positive, negative = self.bundle.labels[1], self.bundle.labels[0]
        return Prediction(positive if score >= self.threshold else negative, score)


def _refuse_single_string(texts: object) -> None:
    if isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of texts, got a single string; use predict(text) or pass [text]")


def _checked_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}; decode bytes with .decode('utf-8') first")
    return text


def _chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(texts)
    while chunk := [_checked_text(t) for t in itertools.islice(it, size)]:
        yield chunk


def load(path: str | Path | None = None, **options) -> SentimentClassifier:
    """Shorthand for :meth:`SentimentClassifier.load`."""
    return SentimentClassifier.load(path, **options)
