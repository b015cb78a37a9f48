"""How the command line reads files: line by line, UTF-8, with a defined result
for every bad line (stop with its number, skip it, or replace the bad bytes)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import PurePath
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


#: What to pass instead of a spreadsheet, and of a data frame's file (read as lines either would be garbage).
_SHEET_FIX = "save it as CSV UTF-8 (or TSV) and pass that"
_DATA_FILE_FIX = ("write it as CSV, TSV or JSON Lines (pandas: df.to_csv('texts.csv', index=False)), "
                  "or score a DataFrame in Python with edge_sentiment.score_frame")
#: Files that are not text, by suffix, and what to pass instead.
_NOT_TEXT_SUFFIXES = {
    **dict.fromkeys((".xlsx", ".xlsm", ".xls", ".ods", ".numbers"), f"a spreadsheet: {_SHEET_FIX}"),
    **dict.fromkeys((".parquet", ".feather", ".arrow", ".orc", ".pkl", ".pickle", ".h5", ".hdf5"),
                    f"a binary data file: {_DATA_FILE_FIX}"),
    **{suffix: f"compressed: decompress it first ({tool} FILE)" for suffix, tool in
       ((".gz", "gunzip -k"), (".bz2", "bunzip2 -k"), (".xz", "unxz -k"), (".zst", "unzstd"), (".zip", "unzip"),
        (".7z", "7z x"), (".tar", "tar -xf"))},
}
#: How files that are not text begin, and what to do instead of reading them as lines (FILE: the file's name).
_DECOMPRESS = "it is compressed ({}): decompress it first ({} > texts.txt) and pass that"
_MAGIC = (
    (b"\x1f\x8b", _DECOMPRESS.format("gzip", "gunzip -c FILE")),
    (b"BZh", _DECOMPRESS.format("bzip2", "bunzip2 -c FILE")),
    (b"\xfd7zXZ\x00", _DECOMPRESS.format("xz", "unxz -c FILE")),
    (b"\x28\xb5\x2f\xfd", _DECOMPRESS.format("zstd", "unzstd -c FILE")),
    (b"7z\xbc\xaf\x27\x1c", "it is a 7-Zip archive: extract it first (7z x FILE) and pass the text file"),
    (b"PK\x03\x04", "it is a zip archive, or a spreadsheet or document saved as one (.xlsx, .ods, .docx): "
                    "unzip it, or save the sheet as CSV UTF-8, and pass that"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", f"it is an old Office file (.xls, .doc): {_SHEET_FIX}"),
    (b"PAR1", f"it is a Parquet file: {_DATA_FILE_FIX}"),
    (b"%PDF-", "it is a PDF: extract its text first (e.g. pdftotext FILE texts.txt)"),
    (b"SQLite format 3\x00", "it is an SQLite database: export the texts as CSV (sqlite3 -csv -header FILE 'SELECT ...')"),
)


#: Bytes that text holds next to none of: ASCII control characters but tab, line ends, form feed and escape.
_CONTROL_BYTES = tuple(bytes([b]) for b in (*range(0, 9), *range(14, 27), *range(28, 32)))


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


def not_text_by_name(path: str) -> str | None:
    """What the file ``path`` is, by its suffix, if that says it is not text, and what to pass instead."""
    kind = _NOT_TEXT_SUFFIXES.get(PurePath(path).suffix.lower())
    return None if kind is None else _naming(kind, path)


def _naming(advice: str, name: str) -> str:
    """``advice`` with its FILE placeholder replaced by the file's name, quoted for a shell
    (standard input has no name to put there)."""
    return advice.replace("FILE", "FILE" if name == "standard input" else shlex.quote(name))


def not_text(data: bytes) -> str | None:
    """What ``data`` (a file's first bytes) is if it is not text at all, and what to do: a
    compressed file, an archive, a PDF, ... by how it begins; UTF-16 without a byte-order mark
    by its zero bytes, other binary data by its control bytes. None for text, in any encoding."""
    for magic, advice in _MAGIC:
        if data.startswith(magic):
            return advice
    even, odd = data[0::2].count(0), data[1::2].count(0)  # (ASCII in UTF-16: every other byte is zero)
    if max(even, odd) >= 4 and max(even, odd) > len(data) // 2 * 0.3 and min(even, odd) * 8 < max(even, odd):
        encoding = "utf-16le" if odd > even else "utf-16be"
        return f"it looks like UTF-16 without a byte-order mark: convert it with iconv -f {encoding} -t utf-8"
    controls = sum(map(data.count, _CONTROL_BYTES))
    if controls >= 8 and controls * 100 > len(data):  # text, in any encoding, has next to none
        return "it holds binary data: pass a text, CSV, TSV or JSON Lines file in UTF-8"
    return None


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
                    if b"\x00" in raw:  # (valid UTF-8, but no text holds it: UTF-16 without a mark, or binary)
                        self._refuse_if_not_text(name, file_start(self.file, raw))
                text = self._decode(raw, number, name)
                if text is None:
                    continue
                if number == 1:
                    text = text.removeprefix(_BOM)
                yield text if self._keep_ends else text.removesuffix("\n").removesuffix("\r")
        if self.bad_lines > MAX_LINE_WARNINGS:
            verb = "skipped" if self.on_error == "skip" else "read with U+FFFD for their bad bytes"
            self._warn(f"warning: {name}: {self.bad_lines} lines in all were not valid UTF-8 and were {verb}")

    @staticmethod
    def _refuse_if_not_text(name: str, start: bytes) -> None:
        """An InputError if the file beginning with ``start`` is not text (whatever --on-error says:
        none of its lines is a text)."""
        kind = not_text(start) if start else None
        if kind is not None:
            raise InputError(f"{name} is not UTF-8 text: {_naming(kind, name)}")

    def _decode(self, raw: bytes, number: int, name: str) -> str | None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"{name}, line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
            start = file_start(self.file, raw) if self.on_error == "stop" or not self.bad_lines else b""
            self._refuse_if_not_text(name, start)
            if self.on_error == "stop":
                legacy = legacy_encoding(start)
                # (A file in another encoding is converted whole: skipping its lines would drop them all.)
                offer = ", or pass --on-error skip or --on-error replace" if self._offer_on_error and legacy is None else ""
                raise InputError(f"{where}; {conversion_advice(legacy)}{offer}") from None
        self.bad_lines += 1
        if self.bad_lines <= MAX_LINE_WARNINGS:
            self._warn(f"warning: {where}: {'skipped' if self.on_error == 'skip' else 'bad bytes replaced by U+FFFD'}")
        return None if self.on_error == "skip" else raw.decode("utf-8", errors="replace")
