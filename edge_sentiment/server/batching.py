"""Micro-batching: texts of concurrent requests are scored in one model call.

A request's texts join a queue; one task takes the first waiting request, gathers the
requests that arrive within ``wait`` seconds (or until ``max_texts``), and scores them
together on one scoring thread while the event loop goes on reading requests. Under load
the next batch fills while the current one is scored, so batches grow with the load and
throughput approaches the classifier's own batch throughput; alone, a request waits at
most ``wait`` seconds more than a direct call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Result = TypeVar("Result")


class Overloaded(Exception):
    """More texts are waiting than the queue holds: the request is refused (503)."""


class MicroBatcher(Generic[Result]):
    """``await batcher.score(texts)`` gives ``score_many(texts)``'s results for those texts,
    computed together with other requests' texts."""

    def __init__(self, score_many: Callable[[list[str]], Sequence[Result]], *, max_texts: int, wait: float,
                 max_queued_texts: int, on_batch: Callable[[int], None] = lambda size: None) -> None:
        self._score_many = score_many
        self._max_texts, self._wait, self._max_queued = max_texts, wait, max_queued_texts
        self._on_batch = on_batch
        self._queue: asyncio.Queue[tuple[list[str], asyncio.Future]] = asyncio.Queue()
        self._queued_texts = 0
        # One scoring thread: the model call releases the GIL, so it runs beside the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="edge-sentiment-score")
        self._task: asyncio.Task | None = None

    @property
    def queued_texts(self) -> int:
        return self._queued_texts

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="edge-sentiment-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True)

    async def score(self, texts: list[str]) -> list[Result]:
        """The results for ``texts``, in order. Raises :class:`Overloaded` when the queue is full.
        Cancelling the wait (a timeout, a client gone) leaves the batch's other requests unharmed."""
        if not texts:
            return []
        if self._queued_texts + len(texts) > self._max_queued and self._queued_texts:
            raise Overloaded(f"{self._queued_texts} texts are waiting to be scored")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queued_texts += len(texts)
        self._queue.put_nowait((texts, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather(loop)
            self._queued_texts -= sum(len(texts) for texts, _ in batch)
            live = [(texts, future) for texts, future in batch if not future.done()]  # done: cancelled
            if not live:
                continue
            texts = [text for request_texts, _ in live for text in request_texts]
            self._on_batch(len(texts))
            try:
                results = await loop.run_in_executor(self._executor, self._score_many, texts)
            except Exception as exc:  # every request of the batch gets the error
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            start = 0
            for request_texts, future in live:
                if not future.done():
                    future.set_result(list(results[start : start + len(request_texts)]))
                start += len(request_texts)

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> list[tuple[list[str], asyncio.Future]]:
        batch = [await self._queue.get()]
        count = len(batch[0][0])
        deadline = loop.time() + self._wait
        while count < self._max_texts:
            if self._queue.empty():
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), left))
                except TimeoutError:
                    break
            else:
                batch.append(self._queue.get_nowait())
            count += len(batch[-1][0])
        return batch
