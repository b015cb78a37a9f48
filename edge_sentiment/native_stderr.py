"""Silence what native libraries print straight to file descriptor 2.

TensorFlow's import and LiteRT's first interpreter print start-up lines from
C++ (CUDA probing, "Created TensorFlow Lite XNNPACK delegate") that no Python
setting turns off and that tell a user nothing. The descriptor is pointed at a
temporary file for the duration, and what was caught is handed back so a caller
can show it when the call fails. The swap is process-wide, so it is kept to
one-time start-up calls.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator


class Caught:
    """What the native code printed while silenced (read after the block ends)."""

    text = ""


@contextmanager
def native_stderr_caught() -> Iterator[Caught]:
    caught = Caught()
    try:
        fd = sys.stderr.fileno() if sys.stderr is not None else 2
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):
        yield caught  # no real descriptor (e.g. under a test runner's capture): nothing to silence
        return
    with tempfile.TemporaryFile() as sink:
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(sink.fileno(), fd)
        try:
            yield caught
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            caught.text = sink.read().decode("utf-8", errors="replace")
