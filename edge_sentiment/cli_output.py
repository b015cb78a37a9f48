"""How the command line writes: whole lines, a quiet end when the reader goes away,
one-line errors when it cannot write, and a progress bar only on a terminal."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .errors import EdgeSentimentError

PREVIEW_WIDTH = 70
#: Signals that stop a command cleanly: Ctrl-C, and an orchestrator's (or kill's) SIGTERM.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_WORD = re.compile(r"\S+")


class OutputError(EdgeSentimentError):
    """Standard output cannot be written (closed, disk full, ...)."""


class OutputClosed(Exception):
    """The reader of standard output went away (``| head``): stop quietly."""


class _Interrupts:
    """Ctrl-C (SIGINT), and SIGTERM (an orchestrator's stop) alike, raise KeyboardInterrupt,
    except while whole lines are being written: then it waits until the write is done, so
    no line is cut in half. The exit status is 128 + the signal's number (130, 143).

    ``received`` remembers that one came: a KeyboardInterrupt raised inside a
    library's import can surface as an ImportError, or be swallowed by a bare
    ``except``; the command line still ends with status 130 (see :func:`interrupted`).
    """

    deferring = False
    pending = False
    received = False
    signal_number = signal.SIGINT

    @classmethod
    def install(cls) -> None:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                signal.signal(number, cls._handle)

    @classmethod
    def _handle(cls, signum, frame) -> None:
        if not cls.received:
            cls.signal_number = signum
        cls.received = True
        if cls.deferring:
            cls.pending = True
            return
        raise KeyboardInterrupt

    @classmethod
    @contextmanager
    def deferred(cls) -> Iterator[None]:
        cls.deferring = True
        try:
            yield
        finally:
            cls.deferring = False
        if cls.pending:
            cls.pending = False
            raise KeyboardInterrupt


install_interrupt_handler = _Interrupts.install


def interrupted() -> bool:
    """True once Ctrl-C or SIGTERM has reached this process (after :func:`install_interrupt_handler`)."""
    return _Interrupts.received


def interrupted_status() -> int:
    """The exit status of a command stopped by a signal: 128 + its number (Ctrl-C 130, SIGTERM 143)."""
    return 128 + int(_Interrupts.signal_number)


def stdout():
    if sys.stdout is None:
        raise OutputError("standard output is closed; redirect it to a file (> out.txt) or a pipe")
    return sys.stdout


def write_lines(lines: list[str]) -> None:
    """Write ``lines`` and flush them, whole: Ctrl-C during the write takes effect after it."""
    if not lines:
        return
    text = "\n".join(lines) + "\n"
    out = stdout()
    if _Interrupts.received:  # an interrupt that a library swallowed: stop before writing more
        raise KeyboardInterrupt
    with _Interrupts.deferred():
        try:
            _write_whole(out, text)
        except BrokenPipeError:
            raise OutputClosed from None
        except OSError as exc:
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None


def _write_whole(out, text: str) -> None:
    """Write ``text`` to ``out`` and flush it, every byte. A signal that interrupts a write to a
    full pipe makes the write return short, and Python's text and buffered layers can then drop
    the rest; on a real file descriptor the bytes are written with os.write until none is left."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # e.g. a StringIO in a test harness
        out.write(text)
        out.flush()
        return
    out.flush()  # whatever another writer left in the text layer goes first
    view = memoryview(text.encode(out.encoding or "utf-8", out.errors or "strict"))
    while view:
        view = view[os.write(fd, view):]


#: Result lines written (and flushed) at a time.
LINES_PER_CHUNK = 1024


def write_chunked(lines: Iterable[str], after_chunk: Callable[[int], None] = lambda count: None) -> None:
    """Write ``lines`` as they come, :data:`LINES_PER_CHUNK` at a time, calling ``after_chunk(count)``
    after each chunk. If producing them fails, the lines made before the failure are written first."""
    chunk: list[str] = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) == LINES_PER_CHUNK:
                done, chunk = chunk, []
                write_lines(done)
                after_chunk(len(done))
    except OutputClosed:
        raise
    except BaseException:
        write_lines(chunk)  # results computed before the failure are kept
        raise
    write_lines(chunk)


def write_file(path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) whole or not at all: into a temporary file beside it,
    then renamed over it; any failure is one :class:`OutputError` naming the file."""
    import tempfile
    from pathlib import Path

    path = Path(path)
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent or ".", prefix=f".{path.name}.",
                                         delete=False) as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(out.name, 0o666 & ~umask)  # as open() would have made it (the temporary file is private)
        os.replace(out.name, path)
    except OSError as exc:
        if "out" in locals():
            with contextlib.suppress(OSError):
                os.unlink(out.name)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def silence_stdout() -> None:
    """Point standard output at /dev/null, so Python's final flush cannot fail on a closed pipe."""
    if sys.stdout is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def preview(text: str, width: int = PREVIEW_WIDTH) -> str:
    """The start of ``text`` on one line, white space folded, at most ``width`` characters.

    Reads only as many words as the preview needs, so a 500 MB line costs no more than a short one.
    """
    words, length = [], -1
    for match in _WORD.finditer(text):
        words.append(match.group())
        length += len(words[-1]) + 1
        if length > width:
            break
    folded = " ".join(words)
    return folded if len(folded) <= width else folded[: width - 3] + "..."


def log(message: str) -> None:
    """A line for the person at the terminal (stderr; never mixed into results)."""
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)


@contextmanager
def progress(description: str, total: int | None, unit: str = "texts") -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a bar on stderr only when stderr is a terminal.

    ``total`` counts ``unit``s (None: unknown). The bar disappears when done.
    """
    if sys.stderr is None or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.update(task, advance=n)


@contextmanager
def file_progress(total_bytes: int | None) -> Iterator[Callable[[int, int], None]]:
    """Yield ``advance(texts, nbytes)`` for scoring a file; a bar only when stderr is a terminal."""
    if sys.stderr is None or not sys.stderr.isatty():
        yield lambda texts, nbytes: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[texts]:,} texts"), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task("scoring", total=total_bytes, texts=0)
        done = 0

        def advance(texts: int, nbytes: int) -> None:
            nonlocal done
            done += texts
            bar.update(task, advance=nbytes, texts=done)

        yield advance
