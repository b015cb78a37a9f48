"""Text normalisation and tokenisation, shared by training and serving.

Unicode: text is normalised to NFKC before anything else, so that composed and
decomposed accents, full-width letters and ligatures all map to one spelling.
Then it is lowercased, HTML line breaks (``<br />`` as IMDB writes them) become
spaces, and a token is a run of letters or digits (any script) that may hold
inner apostrophes: ``don't``, ``l'homme``, ``café`` and ``10`` are single tokens.
Everything else (punctuation, emoji, control characters) separates tokens,
and so does a lone surrogate (U+D800 to U+DFFF, which a Python or JavaScript
string can hold but UTF-8 cannot).

That is the tokenizer ``edge-sentiment-v1``. ``edge-sentiment-v2`` (``symbols=True``) is the
same but for symbols: each symbol (general category So: emoji, hearts, stars, ``©``) is a
token of its own, and the variation selectors that only pick a symbol's text or emoji
presentation (U+FE0E, U+FE0F) are removed, so ``❤`` and ``❤️`` are one token.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

from .constants import SYMBOLS_TOKENIZER

# Curly apostrophes are normalised to the ASCII one so "don’t" == "don't".
# (str.replace: far faster than str.translate with a mapping here.)
_APOSTROPHES = ("\u2019", "\u2018", "\u02bc")
#: Variation selectors 15 and 16: they pick a symbol's text or emoji presentation (v2 removes them).
_PRESENTATION_SELECTORS = ("\ufe0e", "\ufe0f")
LINE_BREAK = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)


def _combining_mark_class() -> str:
    """A regex character class body holding every combining mark of the BMP.

    Python's ``re`` has no ``\\p{M}``. Marks that survive NFKC (Devanagari vowel
    signs, Hebrew points, ...) belong inside the word they modify, so we list
    them. Only the BMP is scanned: it holds every living script, and scanning the
    full range would multiply the start-up cost for a few historic scripts (the
    spec, docs/bundle-format.md, pins the same rule).
    """
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _code_ranges(range(0x10000), "M"))


def _symbol_class() -> str:
    """A regex character class body holding every symbol (category So) of planes 0 and 1,
    which hold all of them (the spec, docs/bundle-format.md, lists the same)."""
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _code_ranges(range(0x20000), "So"))


def _code_ranges(codes: range, category: str) -> list[tuple[int, int]]:
    """Runs of consecutive code points in ``codes`` whose general category starts with ``category``."""
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if not unicodedata.category(chr(code)).startswith(category):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def reads_symbols(tokenizer: str) -> bool:
    """Whether the tokenizer named ``tokenizer`` (constants.TOKENIZERS) makes each symbol a token."""
    return tokenizer == SYMBOLS_TOKENIZER


@functools.cache
def symbol_pattern() -> re.Pattern:
    """One symbol: the characters tokenizer v2 makes tokens of their own."""
    return re.compile(f"[{_symbol_class()}]")


@functools.cache
def _token_pattern(symbols: bool = False) -> re.Pattern:
    r"""The general token pattern, built on first use (building it is a noticeable part of start-up).

    [^\W_] is "a letter or a digit in any script"; a word may carry combining
    marks, and holds apostrophes only between letters: "rock'n'roll", not "'quoted'".
    With ``symbols``, a symbol is a token too (one character).
    """
    word_char = rf"(?:[^\W_]|[{_combining_mark_class()}])"
    word = rf"{word_char}+(?:'{word_char}+)*"
    return re.compile(rf"{word}|{symbol_pattern().pattern}" if symbols else word)


# Every byte no token can hold becomes a space: all ASCII but a-z, 0-9 and the
# apostrophe. Bytes >= 0x80 (the UTF-8 of non-ASCII characters) are kept.
_TOKEN_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789'"
_SEPARATOR_TABLE = bytes(c if c in _TOKEN_BYTES or c >= 0x80 else 32 for c in range(256))
# An apostrophe not followed, or not preceded, by a word character, counting every
# non-ASCII character as one. Starting with the literal lets the regex engine jump
# from apostrophe to apostrophe. The word-character class is written as its
# complement (the ASCII that is not a-z or 0-9; the text is lowercase here),
# which compiles much faster than [a-z0-9\u0080-\U0010ffff].
_WORD_CHAR = r"[^\x00-/:-`{-\x7f]"
_STRAY_APOSTROPHE = re.compile(rf"'(?:(?!{_WORD_CHAR})|(?<!{_WORD_CHAR}'))")


def normalize(text: str, symbols: bool = False) -> str:
    """Return ``text`` in the form the tokenizer reads: NFKC, lowercase, no ``<br />``
    (and, with ``symbols``, no presentation selectors)."""
    text = unicodedata.normalize("NFKC", text)
    text = LINE_BREAK.sub(" ", text).lower()
    for apostrophe in _APOSTROPHES:
        text = text.replace(apostrophe, "'")
    if symbols:
        for selector in _PRESENTATION_SELECTORS:
            text = text.replace(selector, "")
    return text


def tokenize(text: str, symbols: bool = False) -> list[str]:
    """Split ``text`` into lowercase word tokens (see the module docstring); with ``symbols``
    (tokenizer ``edge-sentiment-v2``), each symbol is a token too.

    ``_token_pattern(symbols).findall(normalize(text, symbols))`` is the definition; the two
    paths below return exactly that (tests/test_properties.py), faster.
    """
    text = normalize(text, symbols)
    # str.isascii() is O(1) in CPython: it reads a flag of the string object.
    # (ASCII holds no symbol: category So starts at U+00A6.)
    return _ascii_tokens(text) if text.isascii() else _unicode_tokens(text, symbols)


def _blank_separators(text: str) -> str:
    """``text`` with every ASCII character no token can hold, and every stray
    apostrophe, turned into a space (non-ASCII characters count as word characters)."""
    # surrogatepass: a lone surrogate survives the round trip as a non-ASCII
    # character, and the general pattern then treats it as the separator it is.
    kept = text.encode("utf-8", "surrogatepass").translate(_SEPARATOR_TABLE).decode("utf-8", "surrogatepass")
    return _STRAY_APOSTROPHE.sub(" ", kept) if "'" in kept else kept


def _unicode_tokens(text: str, symbols: bool = False) -> list[str]:
    """``_token_pattern(symbols).findall(text)`` for text that is not all ASCII, faster.

    The general pattern tests every character against a class of hundreds of
    combining-mark ranges. Most of a text is ASCII, so the ASCII path's
    separators are applied first, counting every non-ASCII character as a word
    character; only the pieces that hold non-ASCII characters then go through
    the general pattern. Splitting only at characters the general pattern also
    splits at (ASCII non-word characters, apostrophes stray even by the wider
    count) cannot change its tokens.
    """
    kept = _blank_separators(text)
    # Letters and digits only, between ASCII spaces (so no other space either): each piece is a token.
    if kept.replace(" ", "").isalnum():
        return kept.split()
    tokens: list[str] = []
    # Split at the ASCII space only: str.split() would also split at non-ASCII
    # spaces (U+2028, ...), which the wider count took for word characters.
    for piece in kept.split(" "):
        if piece.isascii():
            if piece:
                tokens.append(piece)
        elif piece.isalnum():  # letters and digits only ([^\W_] is str.isalnum): one token, no regex needed
            tokens.append(piece)
        else:
            tokens += _token_pattern(symbols).findall(piece)
    return tokens


def _ascii_tokens(text: str) -> list[str]:
    """``_token_pattern().findall(text)``, faster, for the (most common) ASCII text.

    Once every separator and stray apostrophe is a space, a plain split on
    whitespace yields exactly the pattern's tokens.
    """
    return _blank_separators(text).split()


def token_spans(text: str, symbols: bool = False) -> list[tuple[str, int, int]]:
    """``tokenize(text, symbols)`` with each token's source: ``(token, start, end)`` such that
    ``text[start:end]`` holds the characters the token was made from (normalisation and
    lowercasing change the token, never the span).

    Line breaks and whitespace never belong to a token and normalisation never joins
    characters across them, so the text is cut there into pieces that normalise on their
    own; inside a piece, each token's ends are found by normalising the piece's prefixes.
    If that ever disagreed with :func:`tokenize` (a normal form that reaches across a cut),
    the spans come from a character-by-character alignment instead.
    """
    if text.isascii():  # lowercasing and blanking the tags keep every offset
        blanked = LINE_BREAK.sub(lambda match: " " * len(match.group()), text).lower()
        spans = [(m.group(), m.start(), m.end()) for m in _ASCII_TOKEN.finditer(blanked)]
    else:
        spans = []
        for start, end in _pieces(text):
            spans += _piece_spans(text, start, end, symbols)
    if [token for token, _, _ in spans] != tokenize(text, symbols):
        return _aligned_spans(text, symbols)
    return spans


#: The token pattern on ASCII text (lowercase): letters and digits, inner apostrophes.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def _pieces(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the runs of ``text`` between whitespace and ``<br />`` tags."""
    blanked = LINE_BREAK.sub(lambda match: " " * len(match.group()), text)
    return [match.span() for match in re.finditer(r"\S+", blanked)]


def _piece_spans(text: str, start: int, end: int, symbols: bool = False) -> list[tuple[str, int, int]]:
    piece = text[start:end]
    normal = normalize(piece, symbols)
    found = [(m.group(), m.start(), m.end()) for m in _token_pattern(symbols).finditer(normal)]
    if not found:
        return []
    if normal == piece.lower() and len(normal) == len(piece):  # offsets carry over unchanged
        return [(token, start + a, start + b) for token, a, b in found]
    # Normalised length of each prefix: the token [a, b) of the normal form starts after the
    # longest prefix that stays at or before a, and ends with the shortest that reaches b (a
    # character that expands, like "¼", is inside) plus any that add nothing (a combining mark
    # that composes into the token's last letter).
    prefix = _normalized_prefix_lengths(piece, symbols)
    spans = []
    for token, a, b in found:
        first = bisect.bisect_right(prefix, a) - 1
        last = min(bisect.bisect_left(prefix, b, lo=first + 1), len(piece))
        while last < len(piece) and prefix[last + 1] == prefix[last]:
            last += 1
        spans.append((token, start + first, start + last))
    return spans


#: Characters normalised together around a cut that :func:`_normalized_prefix_lengths` checks.
_CUT_WINDOW = 2


def _normalized_prefix_lengths(piece: str, symbols: bool = False) -> list[int]:
    """``[len(normalize(piece[:j], symbols)) for j in 0..len(piece)]``, in time linear in the piece:
    it is cut where normalisation cannot reach across (two starters in a row that normalise
    apart with their neighbours), and only each part's own prefixes are normalised."""
    cuts = [0]
    for j in range(1, len(piece)):
        if j - cuts[-1] >= 1 and _independent_at(piece, j, symbols):
            cuts.append(j)
    cuts.append(len(piece))
    prefix, done = [0], 0
    for begin, end in zip(cuts, cuts[1:]):
        part = piece[begin:end]
        prefix += [done + len(normalize(part[:k], symbols)) for k in range(1, len(part) + 1)]
        done = prefix[-1]
    if done != len(normalize(piece, symbols)) or any(x > y for x, y in zip(prefix, prefix[1:])):
        return [len(normalize(piece[:j], symbols)) for j in range(len(piece) + 1)]  # the definition, quadratic
    return prefix


def _independent_at(piece: str, j: int, symbols: bool = False) -> bool:
    if unicodedata.combining(piece[j]) or unicodedata.combining(piece[j - 1]):
        return False
    before, after = piece[max(0, j - _CUT_WINDOW): j], piece[j: j + _CUT_WINDOW]
    return len(normalize(before + after, symbols)) == len(normalize(before, symbols)) + len(normalize(after, symbols))


def _aligned_spans(text: str, symbols: bool = False) -> list[tuple[str, int, int]]:
    """Spans by normalising character by character and finding each token in order."""
    pieces, offsets, length = [], [], 0
    for index, char in enumerate(text):
        normal = normalize(char, symbols)
        pieces.append(normal)
        offsets += [index] * len(normal)
        length += len(normal)
    joined, spans, cursor = "".join(pieces), [], 0
    for token in tokenize(text, symbols):
        at = joined.find(token, cursor)
        if at < 0:  # not found piecewise: an empty span where the search stands
            where = offsets[cursor] if cursor < len(offsets) else len(text)
            spans.append((token, where, where))
            continue
        cursor = at + len(token)
        spans.append((token, offsets[at], offsets[cursor - 1] + 1))
    return spans
