"""Encode windows of texts in worker processes, for large batches.

Tokenizing is pure Python and holds the GIL, so on its own it keeps one core
busy while the model (which releases the GIL) needs little. Worker processes
give every core a share of the tokenizing. Each worker builds its own
:class:`~edge_sentiment.encoding.Encoder` once, from the vocabulary and config
sent at start-up; a task is a list of texts and its result the id matrix.

Workers come from a ``forkserver`` (``spawn`` where there is none): forking the
caller directly would copy whatever threads it runs (onnxruntime's, the
caller's own), which can deadlock the child.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .encoding import Encoder, EncodingConfig
from .errors import EdgeSentimentError

_worker_encoder: Encoder | None = None


def _start_worker(vocab: Mapping[str, int], config: EncodingConfig) -> None:
    global _worker_encoder
    _worker_encoder = Encoder(vocab, config)


def _encode_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker_encoder is not None, "worker started without its encoder"
    return _worker_encoder.encode(texts)


class EncodingPool:
    """``workers`` processes that turn windows of texts into id matrices, results in input order."""

    def __init__(self, vocab: Mapping[str, int], config: EncodingConfig, workers: int) -> None:
        if workers < 2:
            raise ValueError(f"an encoding pool needs at least 2 workers, got {workers}")
        methods = multiprocessing.get_all_start_methods()
        # No set_forkserver_preload: it would replace the caller's own preload list
        # (measured: it saved 0.05-0.1 s of the pool's ~0.3 s start).
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(dict(vocab), config)
        )

    def encode_windows(self, windows: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``(window, ids)`` for each window, in order; at most ``workers + 1`` windows in flight,
        so memory stays flat however many windows come."""
        pending: deque = deque()
        try:
            for window in windows:
                pending.append((window, self._executor.submit(_encode_in_worker, window)))
                if len(pending) > self.workers:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        except BrokenProcessPool:
            raise EdgeSentimentError(
                "the tokenizing worker processes stopped. A script that asks for workers > 1 must start its "
                "work under `if __name__ == \"__main__\":` (the workers import the main module), and the machine "
                "must have memory for them; or use workers=1"
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
