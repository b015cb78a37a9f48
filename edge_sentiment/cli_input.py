"""How the command line reads files: line by line, UTF-8, with a defined result
for every bad line (stop with its number, skip it, or replace the bad bytes)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import BinaryIO, Callable

from .errors import EdgeSentimentError

#: What ``--on-error`` may say about a line that cannot be read.
ON_ERROR_CHOICES = ("stop", "skip", "replace")
#: Warnings printed one by one before the rest are only counted.
MAX_LINE_WARNINGS = 5
_BOM = "\ufeff"


class InputError(EdgeSentimentError):
    """An input file cannot be read, or holds a line that is not what it should be."""


def open_binary(file: str) -> tuple[BinaryIO, str]:
    """``(stream, name for messages)``; ``-`` is standard input."""
    if file == "-":
        if sys.stdin is None:
            raise InputError("standard input is closed; pipe the reviews in or pass --file PATH")
        return sys.stdin.buffer, "standard input"
    try:
        return open(file, "rb"), file
    except IsADirectoryError:
        raise InputError(f"cannot read {file}: it is a directory; pass a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None


class LineReader:
    """Iterates the decoded lines of ``file`` (line ends removed, a leading UTF-8
    byte-order mark dropped); :attr:`bytes_read` counts the bytes read so far.

    A line that is not UTF-8 stops the run (``on_error="stop"``), is left out
    (``"skip"``), or has each bad byte replaced by U+FFFD (``"replace"``); the
    last two print a warning naming the line.
    """

    def __init__(self, file: str, on_error: str = "stop", warn: Callable[[str], None] | None = None,
                 offer_on_error: bool = True) -> None:
        if on_error not in ON_ERROR_CHOICES:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR_CHOICES)}, got {on_error!r}")
        self.file, self.on_error, self.bytes_read = file, on_error, 0
        self._warn = warn or (lambda message: None)
        self._offer_on_error = offer_on_error  # False where the command has no --on-error
        self.bad_lines = 0

    def __iter__(self) -> Iterator[str]:
        stream, name = open_binary(self.file)
        with stream:
            for number, raw in enumerate(stream, start=1):
                self.bytes_read += len(raw)
                text = self._decode(raw, number, name)
                if text is None:
                    continue
                if number == 1:
                    text = text.removeprefix(_BOM)
                yield text.removesuffix("\n").removesuffix("\r")
        if self.bad_lines > MAX_LINE_WARNINGS:
            verb = "skipped" if self.on_error == "skip" else "read with U+FFFD for their bad bytes"
            self._warn(f"warning: {name}: {self.bad_lines} lines in all were not valid UTF-8 and were {verb}")

    def _decode(self, raw: bytes, number: int, name: str) -> str | None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"{name}, line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            if self.on_error == "stop":
                offer = ", or pass --on-error skip or --on-error replace" if self._offer_on_error else ""
                raise InputError(f"{where}; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8){offer}") from None
        self.bad_lines += 1
        if self.bad_lines <= MAX_LINE_WARNINGS:
            self._warn(f"warning: {where}: {'skipped' if self.on_error == 'skip' else 'bad bytes replaced by U+FFFD'}")
        return None if self.on_error == "skip" else raw.decode("utf-8", errors="replace")
