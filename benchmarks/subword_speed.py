"""What subword features cost at run time: bundles with and without them, against fastText with
subwords, on the same texts in one run.

    python benchmarks/subword_speed.py TRAIN.tsv TEST.tsv BUNDLE... [--rounds 3]

For each bundle (with each backend of ``--backends``, default onnx) and for a fastText model trained on TRAIN.tsv with character
2-4-grams and word bigrams (what its users run for short texts): the median ``predict(text)``
latency over the test texts, one text per call, and the texts/s of a batch call over all of
them (``predict_proba``; fastText's ``predict`` of the list; the median of three calls), and the model's size on disk
(bundles: the ONNX files, weights.npz or the TFLite file, and vocab.json: what the backend loads).
Rounds alternate the models so machine noise falls on all; the medians over rounds are printed
as one JSON line per model.

A classifier hashes a word's n-grams the first time it meets the word and keeps them, so the
rounds (which repeat the test texts) time words it has seen. Texts met for the first time are
timed too, as a long-running process meets them: fresh copies of each model first score up to
``--seen`` training texts, then the test texts once. ``predict_new_texts_us`` is the median
latency over them of a copy that scores everything one text per call; ``batch_new_texts_per_s``
the texts/s of one batch call over them all, the median over three copies that score the
training texts as one batch first.

fastText's line names the package that was imported (``package``): PyPI's sdist, ``fasttext``,
compiles for the CPU it is installed on and is much faster than the prebuilt wheels
(``fasttext-numpy2-wheel``); compare against the one your users run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from own_data import read_tsv  # noqa: E402


def _fasttext(train: Path, folder: Path):
    import fasttext

    texts, labels = read_tsv(train)
    path = folder / "train.txt"
    path.write_text("".join(f"__label__{label} {' '.join(text.split())}\n" for text, label in zip(texts, labels)), encoding="utf-8")
    model = fasttext.train_supervised(str(path), epoch=25, wordNgrams=2, minn=2, maxn=4, verbose=0)
    model.save_model(str(folder / "model.bin"))
    return model, (folder / "model.bin").stat().st_size


def _fasttext_package() -> str:
    """Which fastText build is installed: PyPI's sdist compiles it for this CPU (-O3 -march=native),
    the prebuilt wheels (fasttext-numpy2-wheel, ...) are generic and slower."""
    from importlib.metadata import distribution, packages_distributions

    import fasttext

    module = Path(fasttext.__file__).resolve()
    for name in packages_distributions().get("fasttext", []):
        found = distribution(name)
        if any(Path(found.locate_file(file)).resolve() == module for file in found.files or []):
            return f"{name} {found.version}"
    return "unknown"


#: Batch calls timed per model and round (their median counts): one call alone is at the mercy of a
#: garbage collection or of the other model's memory traffic just before it.
BATCH_CALLS = 3


def _median_latency_us(one, texts: list[str]) -> float:
    """The median time of ``one(text)`` over ``texts``, one per call, in µs."""
    latencies = []
    for text in texts:
        started = time.perf_counter()
        one(text)
        latencies.append(time.perf_counter() - started)
    return statistics.median(latencies) * 1e6


def _measure(one, many, texts: list[str]) -> tuple[float, float]:
    latency = _median_latency_us(one, texts)
    batch_seconds = []
    for _ in range(BATCH_CALLS):
        started = time.perf_counter()
        many(texts)
        batch_seconds.append(time.perf_counter() - started)
    return latency, len(texts) / statistics.median(batch_seconds)


class _FastTextAsClassifier:
    """fastText behind the two calls timed (it keeps nothing between calls: new texts cost what
    others do). (fastText 0.9.3's predict of one string fails under NumPy 2; a list of one works.)"""

    def __init__(self, model) -> None:
        self.model = model

    def predict(self, text: str):
        return self.model.predict([text])

    def predict_proba(self, texts: list[str]):
        return self.model.predict(texts)


def _first_pass(model, seen: list[str], texts: list[str]) -> float:
    """The median ``predict(text)`` latency over ``texts`` met for the first time, after ``seen``."""
    for text in seen:
        model.predict(text)
    return _median_latency_us(model.predict, texts)


def _first_batch(load, seen: list[str], texts: list[str]) -> float:
    """The texts/s of a ``predict_proba(texts)`` call on texts met for the first time, after ``seen``:
    the median over BATCH_CALLS fresh copies of the model (one call alone is at the mercy of noise)."""
    seconds = []
    for _ in range(BATCH_CALLS):
        model = load()
        model.predict_proba(seen)
        started = time.perf_counter()
        model.predict_proba(texts)
        seconds.append(time.perf_counter() - started)
    return len(texts) / statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path)
    parser.add_argument("bundles", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seen", type=int, default=3000, help="training texts each model scores before the first pass")
    parser.add_argument("--backends", default="onnx", help="comma-separated backends to time each bundle with (onnx,numpy)")
    args = parser.parse_args()
    from edge_sentiment import TextClassifier

    texts = [" ".join(t.split()) for t in read_tsv(args.test)[0]]
    models, fresh = {}, {}
    for bundle in args.bundles:
        for backend in args.backends.split(","):
            classifier = TextClassifier.load(bundle, backend=backend)
            files = (".onnx",) if backend.startswith("onnx") else (".npz",) if backend == "numpy" else (".tflite",)
            size = sum(f.stat().st_size for f in bundle.iterdir() if f.suffix in files) + (bundle / "vocab.json").stat().st_size
            name = str(bundle) if backend == "onnx" else f"{bundle} ({backend})"
            models[name] = (classifier.predict, classifier.predict_proba, size)
            fresh[name] = lambda bundle=bundle, backend=backend: TextClassifier.load(bundle, backend=backend)
    with tempfile.TemporaryDirectory() as scratch:
        fasttext_model, size = _fasttext(args.train, Path(scratch))
        fasttext_classifier = _FastTextAsClassifier(fasttext_model)  # (it keeps nothing: one copy serves every pass)
        models["fasttext (2-4-grams, bigrams)"] = (fasttext_classifier.predict, fasttext_classifier.predict_proba, size)
        fresh["fasttext (2-4-grams, bigrams)"] = lambda: fasttext_classifier
        seen = [" ".join(t.split()) for t in read_tsv(args.train)[0][: args.seen]]
        new_texts = {name: (_first_pass(load(), seen, texts), _first_batch(load, seen, texts)) for name, load in fresh.items()}
        figures = {name: [] for name in models}
        for _ in range(args.rounds):
            for name, (one, many, _) in models.items():
                figures[name].append(_measure(one, many, texts))
    for name, rounds in figures.items():
        print(json.dumps({"model": name, "texts": len(texts), "predict_median_us": round(statistics.median(r[0] for r in rounds), 1),
                          "predict_new_texts_us": round(new_texts[name][0], 1),
                          "batch_texts_per_s": round(statistics.median(r[1] for r in rounds)),
                          "batch_new_texts_per_s": round(new_texts[name][1]),
                          "model_mb": round(models[name][2] / 1e6, 2),
                          **({"package": _fasttext_package()} if name.startswith("fasttext") else {})}), flush=True)


if __name__ == "__main__":
    main()
