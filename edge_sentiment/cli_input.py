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
#: How much of a file that is not UTF-8 its legacy encoding is guessed from, and the fewest bytes
#: beyond ASCII a guess needs (with fewer, a few lines of Japanese can pass for Korean).
GUESS_BYTES = 1 << 16
MIN_GUESS_BYTES = 512
#: Per language charset-normalizer names: the encoding a guess of its is named as ({guess: name}),
#: else the superset of the language's others (cp949 holds EUC-KR, cp932 Shift_JIS, GB18030 GBK).
_LEGACY_ENCODINGS = {"Korean": ({}, "cp949"), "Japanese": ({"euc_jp": "euc-jp"}, "cp932"),
                     "Chinese": ({"big5": "big5", "cp950": "big5"}, "gb18030")}
#: Byte-order marks of the encodings a UTF-8 reader would misread, longest first.
_OTHER_BOMS = {b"\xff\xfe\x00\x00": "utf-32", b"\x00\x00\xfe\xff": "utf-32", b"\xff\xfe": "utf-16",
               b"\xfe\xff": "utf-16"}


class InputError(EdgeSentimentError):
    """An input file cannot be read, or holds a line that is not what it should be."""


def open_binary(file: str) -> tuple[BinaryIO, str]:
    """``(stream, name for messages)``; ``-`` is standard input."""
    if file == "-":
        if sys.stdin is None:
            raise InputError("standard input is closed; pipe the texts in or pass --file PATH")
        return sys.stdin.buffer, "standard input"
    try:
        return open(file, "rb"), file
    except IsADirectoryError:
        raise InputError(f"cannot read {file}: it is a directory; pass a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None


def utf8_advice(data: bytes) -> str:
    """How to convert a file to UTF-8, from ``data``: its first bytes, as many as were read."""
    for bom, encoding in _OTHER_BOMS.items():
        if data.startswith(bom):
            return f"it starts with a {encoding.upper()} byte-order mark: convert it with iconv -f {encoding} -t utf-8"
    return conversion_advice(legacy_encoding(data))


def conversion_advice(legacy: tuple[str, str] | None) -> str:
    """How to convert a file in the ``(encoding, language)`` of :func:`legacy_encoding` (None: unknown)."""
    if legacy is None:
        return ("convert the file to UTF-8 from the encoding it was saved in, e.g. iconv -f cp1252 -t utf-8 "
                "(Western European; cp949: Korean, cp932: Japanese, gb18030 or big5: Chinese)")
    encoding, language = legacy
    return f"it looks like {language} in {encoding}: convert it with iconv -f {encoding} -t utf-8"


def legacy_encoding(data: bytes) -> tuple[str, str] | None:
    """``(encoding, language)`` if ``data`` reads as Korean, Japanese or Chinese text in a legacy
    encoding (charset-normalizer's guess), else None.

    Spreadsheets on those systems save text files so; converted as Latin-1 they would give a
    model garbage to learn from. A guess needs :data:`MIN_GUESS_BYTES` of text beyond ASCII."""
    if sum(byte > 0x7F for byte in data[:GUESS_BYTES]) < MIN_GUESS_BYTES:
        return None
    from charset_normalizer import from_bytes  # (only a file that is not UTF-8 needs it)

    best = from_bytes(data[:GUESS_BYTES]).best()
    if best is None or best.language not in _LEGACY_ENCODINGS:
        return None
    named, superset = _LEGACY_ENCODINGS[best.language]
    return named.get(best.encoding, superset), best.language


def file_start(name: str, line: bytes) -> bytes:
    """The first :data:`GUESS_BYTES` of file ``name`` to guess its encoding from (``line``, the
    line that failed, where the file cannot be read again: standard input)."""
    if name == "-":
        return line
    try:
        with open(name, "rb") as stream:
            return stream.read(GUESS_BYTES)
    except OSError:
        return line


class LineReader:
    """Iterates the decoded lines of ``file`` (line ends removed unless ``keep_ends``, a
    leading UTF-8 byte-order mark dropped); :attr:`bytes_read` counts the bytes read so far.

    A line that is not UTF-8 stops the run (``on_error="stop"``), is left out
    (``"skip"``), or has each bad byte replaced by U+FFFD (``"replace"``); the
    last two print a warning naming the line.
    """

    def __init__(self, file: str, on_error: str = "stop", warn: Callable[[str], None] | None = None,
                 offer_on_error: bool = True, keep_ends: bool = False) -> None:
        if on_error not in ON_ERROR_CHOICES:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR_CHOICES)}, got {on_error!r}")
        self.file, self.on_error, self.bytes_read = file, on_error, 0
        self._warn = warn or (lambda message: None)
        self._offer_on_error = offer_on_error  # False where the command has no --on-error
        self.bad_lines = 0
        self._keep_ends = keep_ends

    def __iter__(self) -> Iterator[str]:
        stream, name = open_binary(self.file)
        with stream:
            for number, raw in enumerate(stream, start=1):
                self.bytes_read += len(raw)
                if number == 1:
                    if any(raw.startswith(bom) for bom in _OTHER_BOMS):  # never read as UTF-8, whatever --on-error says
                        raise InputError(f"{name} is not UTF-8: {utf8_advice(raw)}")
                text = self._decode(raw, number, name)
                if text is None:
                    continue
                if number == 1:
                    text = text.removeprefix(_BOM)
                yield text if self._keep_ends else text.removesuffix("\n").removesuffix("\r")
        if self.bad_lines > MAX_LINE_WARNINGS:
            verb = "skipped" if self.on_error == "skip" else "read with U+FFFD for their bad bytes"
            self._warn(f"warning: {name}: {self.bad_lines} lines in all were not valid UTF-8 and were {verb}")

    def _decode(self, raw: bytes, number: int, name: str) -> str | None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"{name}, line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            if self.on_error == "stop":
                legacy = legacy_encoding(file_start(self.file, raw))
                # (A file in another encoding is converted whole: skipping its lines would drop them all.)
                offer = ", or pass --on-error skip or --on-error replace" if self._offer_on_error and legacy is None else ""
                raise InputError(f"{where}; {conversion_advice(legacy)}{offer}") from None
        self.bad_lines += 1
        if self.bad_lines <= MAX_LINE_WARNINGS:
            self._warn(f"warning: {where}: {'skipped' if self.on_error == 'skip' else 'bad bytes replaced by U+FFFD'}")
        return None if self.on_error == "skip" else raw.decode("utf-8", errors="replace")
