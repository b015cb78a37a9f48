"""Conformance vectors: cases every implementation of a bundle must reproduce.

``conformance.jsonl`` (listed in the manifest's ``files`` as ``conformance``) holds one
JSON object per line::

    {"case": 17, "category": "edge: greek final sigma", "text": "ΟΔΥΣΣΕΥΣ",
     "tokens": ["οδυσσευς"], "ids": [1, 2], "scores": {"onnx": 0.41, "numpy": 0.41, ...},
     "tolerance": {"tokens": "exact", "ids": "exact", "onnx": 1e-05, "onnx-int8": 0.001, ...}}

``tokens`` are the text's tokens (all of them), ``ids`` the kept ids (after the vocabulary,
``skip_top``/``drop_special`` and truncation to ``maxlen``, before padding), ``scores`` what
each backend of the bundle returned when the bundle was written. The exporter writes the
file (:func:`write_cases`); ``edge-sentiment verify`` re-runs it (:func:`verify`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import Bundle
from .encoding import Encoder
from .errors import BundleError
from .manifest import BACKEND_FILES, FILE_NAMES
from .text import tokenize

FILE_KEY = "conformance"
FILE_NAME = FILE_NAMES[FILE_KEY]
#: Scores of the exact backends agree with Keras within this at export (export/parity.py).
SCORE_TOLERANCE = 1e-5
#: int8 is lossy and its scores move with the batch it is run in (up to ~3e-4 measured).
INT8_TOLERANCE = 1e-3
#: The onnx backend called with one text at a time (the one-review graph where the bundle has it).
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


def case_texts(reviews: Sequence[str], maxlen: int, count: int = 100, sentences: int = 120,
               seed: int = 1234) -> list[tuple[str, str]]:
    """``(category, text)`` pairs: every edge case, the short phrases, ``count`` of ``reviews``
    (a seeded sample), the first sentence of ``sentences`` others, and three texts of about
    3 x ``maxlen`` tokens made from reviews (long enough for the encoder's end window)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(reviews))
    chosen = [reviews[i] for i in sorted(order[:count])]
    others = [reviews[i] for i in sorted(order[count: count + sentences])]
    cases = [(f"edge: {category}", text) for category, text in EDGE_CASES]
    cases += [("short phrase", text) for text in SHORT_PHRASES]
    cases += [("review", text) for text in chosen]
    cases += [("review sentence", sentence) for sentence in map(_first_sentence, others) if sentence]
    for text in chosen[:3]:
        repeat = -(-(3 * maxlen + 10) // max(1, len(tokenize(text))))  # ceil
        cases.append(("far longer than maxlen", " ".join([text] * repeat)))
    return cases


def _first_sentence(text: str) -> str:
    for end in range(len(text)):
        if text[end] in ".!?" and len(text[: end + 1].split()) >= 3:
            return text[: end + 1].strip()
    return ""


def tolerances(backends: Sequence[str]) -> dict:
    score = {name: INT8_TOLERANCE if "int8" in name else SCORE_TOLERANCE for name in backends}
    return {"tokens": "exact", "ids": "exact", **score}


def backend_scores(bundle: Bundle, backends: Sequence[str], texts: list[str]) -> dict[str, np.ndarray]:
    """Each backend's scores of ``texts`` (in one batch), and the onnx backend one text per call."""
    from .classifier import SentimentClassifier

    scores = {}
    for name in backends:
        with SentimentClassifier(bundle, backend=name) as classifier:
            scores[name] = classifier.predict_proba(texts)
            if name == "onnx":
                scores[ONE_PER_CALL] = np.array([classifier.predict(t).score for t in texts], dtype=np.float32)
    return scores


def write_cases(bundle: Bundle, cases: list[tuple[str, str]], path: Path, backends: Sequence[str]) -> int:
    """Write ``conformance.jsonl`` for ``bundle`` to ``path``; returns the number of cases."""
    encoder = Encoder(bundle.vocab, bundle.encoding)
    texts = [text for _, text in cases]
    scores = backend_scores(bundle, backends, texts)
    recorded = [name for name in backends]  # one-per-call is checked against "onnx", not recorded
    limits = tolerances(recorded)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for number, (category, text) in enumerate(cases):
            record = {
                "case": number, "category": category, "text": text, "tokens": tokenize(text),
                "ids": encoder.kept_ids(text), "scores": {name: float(scores[name][number]) for name in recorded},
                "tolerance": limits,
            }
            # ensure_ascii: lone surrogates and invisible characters survive as \\u escapes.
            out.write(json.dumps(record, ensure_ascii=True) + "\n")
    return len(cases)


@dataclass
class CheckResult:
    """How one check (``tokens``, ``ids`` or a backend) did over every case."""

    check: str
    cases: int = 0
    failures: int = 0
    max_abs_diff: float = 0.0
    first_failure: dict | None = field(default=None)

    def record(self, case: dict, ok: bool, expected, got, diff: float = 0.0) -> None:
        self.cases += 1
        self.max_abs_diff = max(self.max_abs_diff, diff)
        if not ok:
            self.failures += 1
            if self.first_failure is None:
                self.first_failure = {"case": case["case"], "category": case["category"], "text": case["text"][:200],
                                      "expected": expected, "got": got}


def read_cases(bundle: Bundle) -> list[dict]:
    return _parsed(bundle, bundle.read(FILE_KEY).decode("utf-8").splitlines())


def _parsed(bundle: Bundle, lines: list[str]) -> list[dict]:
    try:
        return [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as exc:
        raise BundleError(f"{bundle.location(FILE_KEY)}: not JSON Lines ({exc}); re-export the bundle") from None


#: Real reviews re-scored by every backend at load (:func:`check_belongs`): enough distinct
#: words that a model file from another bundle scores them differently, or fails on an id.
PROBE_CASES = 8
_PROBE_CATEGORY = '"category": "review"'


def probe_cases(bundle: Bundle, count: int = PROBE_CASES) -> list[dict]:
    """The first ``count`` review cases of the bundle's conformance file (none without one)."""
    if FILE_KEY not in bundle.manifest.files:
        return []
    lines = bundle.read(FILE_KEY).decode("utf-8").splitlines()
    return _parsed(bundle, [line for line in lines if _PROBE_CATEGORY in line][:count])


def check_belongs(bundle: Bundle, backend: str, predictor) -> None:
    """Refuse a model file that does not belong with this manifest and vocabulary (e.g. copied
    in from another bundle with its sha256 updated): it must reproduce the recorded scores of
    a few conformance cases, from the ids they record, within their tolerance."""
    cases = [case for case in probe_cases(bundle) if backend in case.get("scores", {})]
    if not cases:
        return
    where = bundle.location(BACKEND_FILES[backend])
    try:
        kept = [np.asarray(case["ids"], dtype=np.int32) for case in cases]
        rows = Encoder(bundle.vocab, bundle.encoding).pad(kept)
        got = [float(score) for score in predictor(rows)]
        if predictor.one is not None and len(kept[0]) >= predictor.one_min_steps:
            got.append(predictor.one(kept[0]))
            cases = [*cases, cases[0]]
    except BundleError:
        raise
    except Exception as exc:  # e.g. onnxruntime on an id beyond a smaller model's table
        raise BundleError(f"{where} fails on this bundle's ids ({str(exc).strip().splitlines()[0][:200]}): the model "
                          "does not belong with this manifest and vocabulary; re-export or re-copy the bundle") from None
    for case, score in zip(cases, got):
        expected, limit = case["scores"][backend], case["tolerance"].get(backend, SCORE_TOLERANCE)
        if not abs(score - expected) <= limit:
            raise BundleError(f"{where} scores conformance case {case['case']} {score:.6f}, the bundle recorded "
                              f"{expected:.6f}: the model does not belong with this manifest and vocabulary; "
                              "re-export or re-copy the bundle")


def verify(bundle: Bundle, backends: Sequence[str]) -> list[CheckResult]:
    """Re-run every conformance case: tokens and ids exactly, each backend's score within its tolerance."""
    cases = read_cases(bundle)
    encoder = Encoder(bundle.vocab, bundle.encoding)
    results = [CheckResult("tokens"), CheckResult("ids")]
    for case in cases:
        tokens, ids = tokenize(case["text"]), encoder.kept_ids(case["text"])
        results[0].record(case, tokens == case["tokens"], case["tokens"], tokens)
        results[1].record(case, ids == case["ids"], case["ids"], ids)
    scores = backend_scores(bundle, backends, [case["text"] for case in cases])
    for name, got in scores.items():
        reference = "onnx" if name == ONE_PER_CALL else name
        result = CheckResult(name)
        for case, score in zip(cases, got):
            expected = case["scores"].get(reference)
            if expected is None:
                continue
            diff = abs(float(score) - expected)
            limit = case["tolerance"].get(reference, SCORE_TOLERANCE)
            result.record(case, diff <= limit, expected, float(score), diff)
        results.append(result)
    return results
