"""Encode windows of texts in worker processes, for large batches.

Tokenizing is pure Python and holds the GIL, so on its own it keeps one core
busy while the model (which releases the GIL) needs little. Worker processes
give every core a share of the tokenizing. Each worker builds its own
:class:`~edge_sentiment.encoding.Encoder` once, from the vocabulary and config
sent at start-up; a task is a list of texts and its result the id matrix.

Workers are started with ``spawn``: forking the caller would copy whatever
threads it runs (onnxruntime's, the caller's own), which can deadlock the
child; a ``forkserver`` is shared by the whole process, and its children
inherit whatever the first user of it had.

Defined behaviour where processes and signals get in the way:

* Ctrl-C reaches the whole process group. The workers are started at once,
  with SIGINT blocked (a child inherits its parent's signal mask), so they
  never see it: only the caller gets ``KeyboardInterrupt``, and a Ctrl-C during
  the start-up is held and delivered right after it. (A service manager's
  SIGTERM to every process stops the workers too; the command line reports the
  stop, status 143.) The pool then cancels the
  windows still queued and waits for none.
* A pool belongs to the process that started it: a forked child gets a new one
  (the caller checks :attr:`EncodingPool.owned_here`).
* A worker that dies breaks the pool; the call says how it died and the caller
  starts a new pool for the next call.
* :meth:`EncodingPool.close` while a call is running lets that call finish: the
  workers stop when the last running call ends.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .encoding import Encoder, EncodingConfig
from .errors import EdgeSentimentError

_worker_encoder: Encoder | None = None


def _start_worker(bundle_path: str, config: EncodingConfig) -> None:
    global _worker_encoder
    from .bundle import load_bundle

    _exit_with_parent()
    _worker_encoder = Encoder(load_bundle(bundle_path).vocab, config)


def _exit_with_parent() -> None:
    """Make this worker exit when the process that started it ends, however it ends
    (``os._exit``, a crash, SIGKILL): otherwise it would wait for work forever."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="edge-sentiment-parent-watch", daemon=True).start()


def _nothing() -> None:
    """A task that only makes the executor start a worker."""


#: Signals the workers never see: Ctrl-C reaches the whole process group; the caller alone
#: decides, and workers exit with it. (SIGTERM is not held: the executor stops the workers of
#: a broken pool with it. A SIGTERM that reaches every process of a service stops the workers
#: and the caller alike; the caller reports the stop, not the pool it broke.)
HELD_SIGNALS = (signal.SIGINT,)
#: Seconds a broken pool waits for its workers' exit codes before saying how one died.
EXIT_CODES_WAIT = 1.0


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Block :data:`HELD_SIGNALS` in this thread for the block, so processes started in it
    inherit a mask that blocks them; one that arrives meanwhile is delivered afterwards."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    held: list[int] = []
    previous = {number: signal.getsignal(number) for number in HELD_SIGNALS} if in_main_thread else {}
    if in_main_thread:
        # Another thread of this process may take the signal while this one blocks it;
        # Python would then run the handler in this thread mid-start: record it instead.
        for number in HELD_SIGNALS:
            signal.signal(number, lambda signum, frame: held.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, set(HELD_SIGNALS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for number, handler in previous.items():
            signal.signal(number, handler)
        for held_number in dict.fromkeys(held):
            signal.raise_signal(held_number)


def _encode_in_worker(texts: list[str]) -> np.ndarray:
    assert _worker_encoder is not None, "worker started without its encoder"
    return _worker_encoder.encode(texts)


class WorkerPoolError(EdgeSentimentError):
    """The tokenizing worker processes stopped; the next call starts new ones."""


class EncodingPool:
    """``workers`` processes that turn windows of texts into id matrices, results in input order.

    Each worker reads the vocabulary from the bundle at ``bundle_path`` itself: what
    a spawned process is sent at start-up must stay small, because multiprocessing
    writes it while holding the pipe's other end, so a child that dies before reading
    it all (a script without the ``__main__`` guard) would block the writer forever.
    """

    def __init__(self, bundle_path: str | os.PathLike, config: EncodingConfig, workers: int) -> None:
        if workers < 2:
            raise ValueError(f"an encoding pool needs at least 2 workers, got {workers}")
        self.workers = workers
        self._owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._running_calls = 0
        self._closing = False
        self._delivered = False  # a worker has returned a result: it started fine
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(str(bundle_path), config),
        )
        with _interrupts_held():
            for _ in range(workers):  # the executor starts one process per task while none is idle
                self._executor.submit(_nothing)
        # Kept to say how a worker died: the executor forgets its processes once broken.
        self._worker_processes = self._processes()

    @property
    def owned_here(self) -> bool:
        """False in a process forked from the one that started the pool (its workers are not ours)."""
        return os.getpid() == self._owner_pid

    @property
    def broken(self) -> bool:
        """True once a worker has died: the executor takes no more work."""
        return bool(getattr(self._executor, "_broken", False))

    @property
    def usable(self) -> bool:
        """True while the pool may take a new call: not closing, not broken, not inherited by a fork."""
        return self.owned_here and not self._closing and not self.broken

    def begin_call(self) -> bool:
        """Reserve the pool for one call of :meth:`encode_windows`; False if it may take none."""
        with self._lock:
            if not self.usable:
                return False
            self._running_calls += 1
            return True

    def encode_windows(self, windows: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``(window, ids)`` for each window, in order; at most ``workers + 1`` windows in flight,
        so memory stays flat however many windows come. Call :meth:`begin_call` first and
        start the returned generator; it ends the call however it stops.

        Raises :class:`WorkerPoolError` if a worker dies during the call.
        """
        try:
            yield from self._encode(windows)
        except BaseException as exc:
            if not isinstance(exc, (GeneratorExit, Exception)):  # KeyboardInterrupt, SystemExit
                self.abandon()
            raise
        finally:
            self._call_ended()

    def _encode(self, windows: Iterable[list[str]]) -> Iterator[tuple[list[str], np.ndarray]]:
        pending: deque = deque()
        try:
            for window in windows:
                pending.append((window, self._executor.submit(_encode_in_worker, window)))
                if len(pending) > self.workers:
                    yield self._result(*pending.popleft())
            while pending:
                yield self._result(*pending.popleft())
        except BrokenProcessPool:
            raise WorkerPoolError(self._broken_message()) from None

    def _result(self, window: list[str], future) -> tuple[list[str], np.ndarray]:
        ids = future.result()
        self._delivered = True
        return window, ids

    def how_a_worker_died(self) -> str:
        """E.g. "was killed by SIGKILL", from the exit codes of the pool's processes."""
        codes = [code for code in self._exit_codes() if code]
        signals = {-c for c in codes if c < 0}
        if len(signals) > 1:
            signals.discard(signal.SIGTERM)  # the executor stops the other workers with it once one dies
        if signals:
            return "was killed by " + ", ".join(signal.Signals(s).name for s in sorted(signals))
        return f"exited with status {codes[0]}" if codes else "stopped"

    def _exit_codes(self) -> list[int | None]:
        """The exit code of each of the pool's processes (None: running). Once the pool is broken its
        executor stops and reaps every worker on a thread of its own, and a reaped worker's code reads
        None until that thread records it: wait for the codes then, a second at most."""
        deadline = time.monotonic() + EXIT_CODES_WAIT
        codes = [process.exitcode for process in self._worker_processes]
        while self.broken and None in codes and time.monotonic() < deadline:
            time.sleep(0.01)
            codes = [process.exitcode for process in self._worker_processes]
        return codes

    def _broken_message(self) -> str:
        how = self.how_a_worker_died()
        if self._delivered:
            return (f"a tokenizing worker process {how} during this call; the results before it were delivered, "
                    "and the next call starts new workers")
        return (
            f"a tokenizing worker process {how} before it could encode anything. A script that asks for "
            "workers > 1 must start its work under `if __name__ == \"__main__\":` and be a file (the workers "
            "import the main module), and the machine must have memory for them; or use workers=1"
        )

    def _call_ended(self) -> None:
        with self._lock:
            self._running_calls -= 1
            stop = self._closing and self._running_calls == 0
        if stop:
            self._shutdown()

    def close(self) -> None:
        """Stop the workers once no call is running (at once if none is)."""
        with self._lock:
            self._closing = True
            stop = self._running_calls == 0
        if stop:
            self._shutdown()

    def abandon(self) -> None:
        """Stop handing out work now (on Ctrl-C): queued windows are cancelled, nothing
        waits. Each worker finishes the window it holds and exits; killing one mid-reply
        would leave the executor waiting for the rest of the reply at interpreter exit."""
        with self._lock:
            self._closing = True
        if self.owned_here:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _processes(self) -> list:
        # The executor keeps its processes in a private dict (None once shut down).
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def _shutdown(self) -> None:
        if self.owned_here:  # a forked child must not wait on its parent's workers
            self._executor.shutdown(wait=True, cancel_futures=True)
