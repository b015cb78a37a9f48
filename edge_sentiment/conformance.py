"""Conformance vectors: cases every implementation of a bundle must reproduce.

``conformance.jsonl`` (listed in the manifest's ``files`` as ``conformance``) holds one
JSON object per line::

    {"case": 17, "category": "edge: greek final sigma", "text": "ΟΔΥΣΣΕΥΣ",
     "tokens": ["οδυσσευς"], "ids": [1, 2], "scores": {"onnx": 0.41, "numpy": 0.41, ...},
     "label": "negative",
     "tolerance": {"tokens": "exact", "ids": "exact", "onnx": 1e-05, "onnx-int8": 0.001, ...}}

``tokens`` are the text's tokens (all of them), ``ids`` the kept ids (after the vocabulary,
``skip_top``/``drop_special`` and truncation to ``maxlen``, before padding), ``subwords``
(bundles with subword features only) the kept subword ids before padding, ``scores`` what
each backend of the bundle returned when the bundle was written (binary: P(labels[1]), a
number; multiclass and multilabel: a list of every label's score, in label order), ``label``
the manifest's name of the onnx scores' top class (binary: at threshold 0.5). The tolerances are the specification's
(:func:`tolerance`); the file repeats them for readers, and nothing reads them back. This module
holds the cases and how the file is read and compared; scoring them with this runtime's backends
(the exporter writing the file, ``edge-sentiment verify`` re-running it) is edge_sentiment/verify.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .bundle import Bundle
from .errors import BundleError
from .json_text import parse as parse_json
from .manifest import FILE_NAMES
from .text import tokenize

FILE_KEY = "conformance"
FILE_NAME = FILE_NAMES[FILE_KEY]
#: Scores of the float backends agree with Keras within this at export (export/parity.py).
SCORE_TOLERANCE = 1e-5
#: An int8 file whose MatMul weights are quantized quantizes its activations once per call,
#: so a text's score moves with the other texts of its call (docs/bundle-format.md).
INT8_TOLERANCE = 1e-3
#: Beyond its tolerance but within this, a score is the same model computed with other
#: arithmetic (another runtime version or CPU); further off, it is another model.
RUNTIME_DRIFT = 0.05
#: The onnx backend called with one text at a time (the one-text graph where the bundle has it).
ONE_PER_CALL = "onnx-one-per-call"

#: Texts that exercise each rule of the tokenizer (docs/bundle-format.md), by category.
EDGE_CASES: list[tuple[str, str]] = [
    ("empty", ""),
    ("whitespace", " \t\n  \r\n "),
    ("punctuation only", "!!! ... ??? ,,, ;:-()[]{}"),
    ("punctuation only", "'''"),
    ("emoji", "I loved it 😍🔥👍"),
    ("emoji", "😡😡😡"),
    ("emoji", "great👍film"),
    ("control characters", "good\x00film"),
    ("control characters", "bad\x07\x1b[0m movie\x7f"),
    ("control characters", "line\x0bbreak\x0cform\x1ffeed"),
    ("line breaks", "great<br />film"),
    ("line breaks", "great<BR/>film<br  />ok<br>fine"),
    ("line breaks", "a<br / >b < br/> c"),
    ("line breaks", "<br /><br />"),
    ("line breaks", "a<\x1cbr\x1f>b c<\ufeffbr>d"),  # Python's \s holds U+001C..U+001F, not U+FEFF
    ("apostrophes", "don't"),
    ("apostrophes", "'quoted' words"),
    ("apostrophes", "rock'n'roll"),
    ("apostrophes", "it''s"),
    ("apostrophes", "dogs' bowls"),
    ("apostrophes", "'tis the season"),
    ("apostrophes", "l’homme qui rit"),
    ("apostrophes", "don‘t won ʼt"),
    ("apostrophes", "' ' a ' b"),
    ("combining marks", "cafe\u0301 au lait"),
    ("combining marks", "नमस्ते दुनिया फ़िल्म"),
    ("combining marks", "שָׁלוֹם עוֹלָם"),
    ("combining marks", "a\u0300\u0301\u0302b"),
    ("combining marks", "\u0301\u0301 leading marks"),
    ("combining marks", "ผู้หญิง ภาพยนตร์"),
    ("nfkc", "ｆｕｌｌｗｉｄｔｈ ｆｉｌｍ １０"),
    ("nfkc", "ﬁne ﬂick ﬀ"),
    ("nfkc", "①② x² Ⅻ ½"),
    ("nfkc", "\u212a kelvin \u2126 ohm"),
    ("nfkc", "ǅungla ǈ"),
    ("nfkc", "㍻ ㌔ ㎏"),
    ("case", "GrEaT FiLm"),
    ("case", "STRASSE straße ẞ"),
    ("turkish dotted i", "İSTANBUL İyi"),
    ("turkish dotted i", "ıi İi"),
    ("greek final sigma", "ΟΔΥΣΣΕΥΣ"),
    ("greek final sigma", "ὈΔΥΣΣΕΎΣ ΣΑΣ"),
    # U+0295, U+02E4 and U+1171E are cased or case-ignorable in Unicode 14.0 but not in 16.0.
    ("greek final sigma", "ΟΔΟΣʕ ΚΑΛΟΣˤΑ ΛΟΓΟΣ\U0001171eΑ"),
    ("rtl", "فيلم رائع جدا"),
    ("rtl", "סרט נהדר"),
    ("rtl", "\u202egood\u202c film"),
    ("cjk", "这部电影很好看"),
    ("cjk", "映画はとても良かった"),
    ("cjk", "정말 재미있는 영화"),
    ("mixed scripts", "great фильм 映画 film"),
    ("digits", "10/10 would watch again"),
    ("digits", "1,000,000 dollars 3.5 stars"),
    ("digits", "4ever 2nd 90s"),
    ("underscores and hyphens", "snake_case_word well-made so-so"),
    ("web", "http://example.com/a_b?x=1 mail@example.org"),
    ("web", "&amp; &quot;quoted&quot; &lt;b&gt;"),
    ("invisible", "a\u200db zero\u200bwidth"),
    ("invisible", "good\u00a0film non\u2009breaking"),
    ("invisible", "line\u2028separator\u2029paragraph"),
    ("invisible", "\ufeffbyte order mark"),
    ("surrogates", "lone \ud800 surrogate"),
    ("surrogates", "pair 😀 and lone \udfff"),
    ("unassigned in unicode 14", "x\U0001e030y \U0001e04f film"),  # Unicode 15 decomposes these to letters
    ("long word", "a" * 1000),
    ("tabs and newlines", "great\tfilm\nreally\r\ngood"),
    ("only out-of-vocabulary", "qwxzv blorptastic zzyzzyvaq xylophonicity"),
    ("only out-of-vocabulary", "ẍẍẍ ǯǯ"),
]

#: Texts that exercise the subword rules (docs/bundle-format.md, "Subwords"): required in the
#: conformance file of a bundle with subword features.
SUBWORD_CASES: list[tuple[str, str]] = [
    ("typos", "terible movie"),
    ("typos", "amazinggg film, absolutly wonderfull"),
    ("typos", "the wrost acting and a borring plot"),
    ("korean", "영화가 정말 재밌었어요 배우들의 연기도 최고"),
    ("korean", "이 영화는 시간 낭비였다ㅋㅋ 별로"),
    ("japanese", "この映画は本当に素晴らしかった！また見たい。"),
    ("chinese", "这部电影非常好看，我很喜欢"),
    ("chinese", "剧情拖沓演技尴尬完全不推荐" * 20),
    ("thai", "หนังเรื่องนี้สนุกมากครับ"),
    ("emoji", "best movie ever😍😍 amazing🔥"),
    ("mixed scripts", "영화 great 映画很好 фильм супер"),
    ("4-byte characters", "𝒢𝓇𝑒𝒶𝓉 𠜎𠜱𠝹 film"),
    ("very long word", "supercalifragilistic" * 60),
    ("very long word", "좋아" * 700),
]

#: Texts that exercise the symbol rules of tokenizer v2 (docs/bundle-format.md, section 3, step 5):
#: required in the conformance file of a bundle whose tokenizer is "edge-sentiment-v2".
SYMBOL_CASES: list[tuple[str, str]] = [
    ("emoji", "loved it😍😍🔥 great👍film"),
    ("presentation selectors", "I \u2764\ufe0f it \u2764 \u2764\ufe0e \u263a\ufe0f"),
    ("skin tones and joiners", "\U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f3f3\ufe0f\u200d\U0001f308"),
    ("flags and keycaps", "\U0001f1fa\U0001f1f8 \U0001f1f0\U0001f1f7 1\ufe0f\u20e3 #\ufe0f\u20e3"),
    ("signs", "\u00a9 2020 \u00ae 5\u00b0 \u2605\u2605\u2605\u2606\u2606 \u2665 \u266a \u2702 \u2620"),
    ("nfkc", "good\u2122 30\u2103 \u3250 \u33a1 \u327f"),  # NFKC first: the sign becomes letters (or a sign and letters)
    ("korean", "\ucd5c\uace0\u2665\u2665 \ubcc4\u2605\u2605\u2605\u2605\u2605 \u3161\u3161"),
    ("not symbols", "a \u2192 b \u00ac c + d \u00a2 $ ^ ` \u02c6"),  # math (Sm), currency (Sc), modifiers (Sk)
    ("symbol then mark", "\u2605\u0301 \u2665\u20dd x"),
    ("unassigned in unicode 14", "\U0001fae8 \U0001fa75 ok"),  # Unicode 15 emoji: separators here
    ("many", "\U0001f602" * 300),
]

#: Short texts people score (the short-text probes, and a few more).
SHORT_PHRASES = [
    "not bad at all", "not terrible, actually quite fun", "hardly a dull moment", "this movie is not good",
    "ok", "great film", "terrible", "awful", "a masterpiece", "meh", "boring", "loved it", "hated it",
    "waste of time", "worth watching", "not worth it", "could have been better", "the best film of the year",
    "the worst film of the year", "fine", "pretty good", "pretty bad", "so-so", "must see", "avoid",
    "great acting, weak plot", "weak acting, great plot", "I fell asleep", "I laughed and cried",
    "brilliant", "dull", "10/10", "1/10", "two thumbs up", "not my cup of tea", "surprisingly good",
    "a dull, lifeless film", "a gripping, well acted film", "never again", "see it", "skip it",
    "it was fine i guess", "superb cast", "the plot made no sense", "beautifully shot", "too long",
    "a fun ride", "what a mess", "highly recommended", "not recommended",
]


def case_texts(texts: Sequence[str], maxlen: int, count: int = 100, sentences: int = 120,
               seed: int = 1234) -> list[tuple[str, str]]:
    """``(category, text)`` pairs: every edge case, the short phrases, ``count`` of ``texts``
    (a seeded sample), the first sentence of ``sentences`` others, and three texts of about
    3 x ``maxlen`` tokens made from them (long enough for the encoder's end window)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    chosen = [texts[i] for i in sorted(order[:count])]
    others = [texts[i] for i in sorted(order[count: count + sentences])]
    cases = [(f"edge: {category}", text) for category, text in EDGE_CASES]
    cases += [(f"subwords: {category}", text) for category, text in SUBWORD_CASES]
    cases += [(f"symbols: {category}", text) for category, text in SYMBOL_CASES]
    cases += [("short phrase", text) for text in SHORT_PHRASES]
    cases += [("text", text) for text in chosen]
    cases += [("sentence", sentence) for sentence in map(_first_sentence, others) if sentence]
    for text in chosen[:3]:
        repeat = -(-(3 * maxlen + 10) // max(1, len(tokenize(text))))  # ceil
        cases.append(("far longer than maxlen", " ".join([text] * repeat)))
    return cases


def _first_sentence(text: str) -> str:
    for end in range(len(text)):
        if text[end] in ".!?" and len(text[: end + 1].split()) >= 3:
            return text[: end + 1].strip()
    return ""


def tolerance(backend: str) -> float:
    """The specification's score tolerance of ``backend`` (never the file's)."""
    return INT8_TOLERANCE if "int8" in backend else SCORE_TOLERANCE


def tolerances(backends: Sequence[str]) -> dict:
    return {"tokens": "exact", "ids": "exact", "subwords": "exact", **{name: tolerance(name) for name in backends}}


def case_label(bundle: Bundle, onnx_score) -> str:
    """The manifest's name of the top class of ``onnx_score`` (binary: at threshold 0.5)."""
    if bundle.manifest.task == "binary":
        return bundle.labels[int(onnx_score >= 0.5)]
    return bundle.labels[int(np.argmax(onnx_score))]


def recorded(scores: np.ndarray):
    """One text's scores as the file records them: a number (binary) or a list."""
    return float(scores) if np.ndim(scores) == 0 else [float(v) for v in scores]


def score_diff(expected, got) -> float:
    """The largest absolute difference between recorded and computed scores (inf if their shapes differ)."""
    expected, got = np.asarray(expected, dtype=np.float64), np.asarray(got, dtype=np.float64)
    if expected.shape != got.shape:
        return float("inf")
    return float(np.max(np.abs(expected - got), initial=0.0))


def read_cases(bundle: Bundle) -> list[dict]:
    """Every case of the bundle's conformance file (see :func:`iter_cases`)."""
    return list(iter_cases(bundle))


def iter_cases(bundle: Bundle) -> Iterator[dict]:
    """The cases of the bundle's conformance file, parsed one line at a time, each checked to
    be an object with the fields a check reads, numbered 0, 1, 2, ... (so a removed case shows)."""
    where = bundle.location(FILE_KEY)
    number = 0
    for line in bundle.read(FILE_KEY).decode("utf-8").splitlines():
        if not line.strip():
            continue
        try:
            case = parse_json(line)
        except ValueError as exc:
            raise BundleError(f"{where}: not JSON Lines ({exc}); re-export the bundle") from None
        if not isinstance(case, dict) or case.get("case") != number or not _well_formed(case):
            raise BundleError(f"{where}: line {number + 1} is not conformance case {number} "
                              "with text, tokens, ids and scores; re-export the bundle")
        number += 1
        yield case


def _well_formed(case: dict) -> bool:
    scores = case.get("scores")
    return (isinstance(case.get("text"), str) and isinstance(case.get("tokens"), list)
            and isinstance(case.get("ids"), list) and isinstance(scores, dict)
            and all(_number(v) or (isinstance(v, list) and v and all(map(_number, v))) for v in scores.values()))


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
