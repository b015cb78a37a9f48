"""Training on your own files, measured against fastText and a TF-IDF bigram logistic regression.

Three steps, each a subcommand:

* ``make DATA OUT``: two yardsticks made from the aclImdb tarball, as TSV files
  (header ``sentence<TAB>label``, labels 0/1) like the short-sentence sets users bring:
  ``imdb-verdicts`` (a first or last sentence of a review, 3-25 tokens, labelled with
  the review's sentiment) and ``imdb-position`` (a different task: is the sentence the
  first or the last of its review?). 6,000 training rows from train reviews, 2,000
  test rows from test reviews, each review used once.
* ``holdout DIR``: writes ``DIR/holdout/{train,test}.tsv``, a stratified 80/20 split of
  ``DIR/train.tsv``'s texts (a text the file holds several times goes to one side with all its
  rows), so that settings are chosen without looking at ``DIR/test.tsv``.
* ``compare DIR... [--overrides JSON]...``: for each folder holding ``train.tsv`` and
  ``test.tsv``, trains the peers and our exporter on train.tsv and prints one JSON line
  per model with its test accuracy and training time. The peers run as their users run
  them, each tuned on a validation carve of train.tsv (fastText with its default threads
  over epochs, word n-grams, learning rate and subwords; TF-IDF word 1-2-gram and
  character 1-5-gram logistic regression and NB-SVM over C). Ours runs the CLI exactly as a user
  would (``edge-sentiment export --train``, then ``evaluate --file --json``) when no
  overrides are given; with ``--overrides`` it runs the default preset with those
  TrainingConfig fields changed, in-process.

Needs the training extras and the peers: ``pip install -e ".[train,tflite,bench]"``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = {"train": 6000, "test": 2000}
#: Results go to the real stdout; Keras' per-epoch lines (printed to sys.stdout) go to stderr.
RESULTS = sys.stdout
#: The console script of this environment (run as a user runs it), found beside this Python.
CLI = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or "edge-sentiment"


def make(data: str, out: Path) -> None:
    from edge_sentiment_export.data import load_imdb
    from edge_sentiment_export.snippets import sentences

    imdb = load_imdb(data)
    rng = np.random.default_rng(0)
    for split_name, split in (("train", imdb.train), ("test", imdb.test)):
        verdicts, positions = [], []
        for turn, index in enumerate(rng.permutation(len(split))):
            found = sentences(split.texts[index], 3, 25)
            if len(found) < 2:
                continue
            end = int(rng.integers(2))  # 0: the review's first sentence, 1: its last
            sentence = found[-1] if end else found[0]
            if len(verdicts) < ROWS[split_name] and (turn % 2 == 0 or len(positions) >= ROWS[split_name]):
                verdicts.append((sentence, split.labels[index]))
            elif len(positions) < ROWS[split_name]:
                positions.append((sentence, end))
            else:
                break
        for name, rows in (("imdb-verdicts", verdicts), ("imdb-position", positions)):
            write_tsv(out / name / f"{split_name}.tsv", rows)
    print(f"wrote {out}/imdb-verdicts and {out}/imdb-position")


def write_tsv(path: Path, rows, header: str = "sentence\tlabel") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as file:
        file.write(header + "\n")
        for text, label in rows:
            file.write(f"{' '.join(text.split())}\t{label}\n")


def read_tsv(path: Path) -> tuple[list[str], list]:
    """Texts (column ``sentence``, ``text`` or ``document``) and labels (``label`` or ``labels``) as written; a
    multilabel file's labels (joined by ``|``) as tuples."""
    from edge_sentiment.tables import read_table

    records = [record for _, record in read_table(str(path), "tsv").records]
    text_key = next(key for key in ("sentence", "text", "document") if key in records[0])
    label_key = "label" if "label" in records[0] else "labels"
    labels = [r[label_key] for r in records]
    if any("|" in label for label in labels):
        labels = [tuple(sorted(label.split("|"))) for label in labels]
    return [r[text_key] for r in records], labels


def multilabel(labels) -> bool:
    return isinstance(labels[0], tuple)


def holdout(folder: Path) -> None:
    texts, labels = read_tsv(folder / "train.tsv")
    _, (held_texts, _) = carve(texts, labels)
    held = set(held_texts)
    joined = ["|".join(label) if isinstance(label, tuple) else label for label in labels]
    header = "text\tlabels" if multilabel(labels) else "sentence\tlabel"
    written = {}
    for name, keep in (("train", False), ("test", True)):
        # (every row of a held text goes to test: a text written twice in the file is never on both sides)
        rows = [(t, l) for t, l in zip(texts, joined) if (t in held) == keep]
        write_tsv(folder / "holdout" / f"{name}.tsv", rows, header)
        written[name] = len(rows)
    print(f"wrote {folder}/holdout: {written['train']} train, {written['test']} test rows")


#: The peers' settings are chosen on a stratified validation carve of the training file (never
#: the test file), then the chosen setting is trained on the whole training file, as a user tunes them.
VALIDATION_SHARE = 0.2
C_GRID = (1, 4, 16)
#: fastText's settings tried on validation (its epoch, word n-grams, learning rate and subwords).
FASTTEXT_GRID = [dict(epoch=e, wordNgrams=n, lr=lr, minn=mn, maxn=mx) for e in (5, 25) for n in (1, 2)
                 for lr in (0.1, 0.5) for mn, mx in ((0, 0), (2, 4))]


def carve(texts, labels, seed: int = 0):
    """``(fit, validation)``: a stratified carve of :data:`VALIDATION_SHARE` of the rows (multilabel:
    stratified by each row's first label)."""
    rng = np.random.default_rng(seed)
    y = np.asarray([label[0] for label in labels] if multilabel(labels) else labels)
    held = np.concatenate([rng.permutation(np.flatnonzero(y == c))[: round((y == c).sum() * VALIDATION_SHARE)]
                           for c in np.unique(y)])
    keep = np.setdiff1d(np.arange(len(y)), held)
    pick = lambda rows: ([texts[i] for i in rows], [labels[i] for i in rows])  # noqa: E731
    return pick(keep), pick(np.sort(held))


def accuracy(predicted, labels) -> float:
    """Accuracy; for label sets, micro-F1 (what a multilabel model is judged by)."""
    if multilabel(labels):
        return figures(predicted, labels)["micro_f1"]
    return float((np.asarray(predicted) == np.asarray(labels)).mean())


def figures(predicted, labels) -> dict:
    """Accuracy and macro-F1; for label sets, micro- and macro-F1 and subset accuracy."""
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    if not multilabel(labels):
        return {"accuracy": float((np.asarray(predicted) == np.asarray(labels)).mean()),
                "macro_f1": float(f1_score(labels, predicted, average="macro"))}
    binarizer = MultiLabelBinarizer().fit([*labels, *predicted])
    truth, guess = binarizer.transform(labels), binarizer.transform(predicted)
    return {"micro_f1": float(f1_score(truth, guess, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(truth, guess, average="macro", zero_division=0)),
            "subset_accuracy": float((truth == guess).all(axis=1).mean())}


def tuned(fit_predict, grid, train, test) -> tuple[dict, object]:
    """Test figures of ``fit_predict`` with the setting of ``grid`` best (accuracy; label sets:
    micro-F1) on a validation carve of ``train``."""
    fit, validation = carve(*train)
    scored = []
    for setting in grid:
        try:
            scored.append((accuracy(fit_predict(setting, fit, validation[0]), validation[1]), setting))
        except RuntimeError:  # fastText diverges (NaN) at high learning rates
            continue
    best = max(scored, key=lambda pair: pair[0])[1]
    return figures(fit_predict(best, train, test[0]), test[1]), best


def tfidf_predict(analyzer: str, ngrams: tuple[int, int]):
    def fit_predict(setting, train, texts):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=1)
        x = vectorizer.fit_transform(train[0])
        if not multilabel(train[1]):
            model = LogisticRegression(C=setting, max_iter=2000).fit(x, train[1])
            return model.predict(vectorizer.transform(texts))
        binarizer = MultiLabelBinarizer().fit(train[1])  # one-vs-rest: a probability per label
        model = OneVsRestClassifier(LogisticRegression(C=setting, max_iter=2000)).fit(x, binarizer.transform(train[1]))
        return list(binarizer.classes_), model.predict_proba(vectorizer.transform(texts))
    return fit_predict


def nbsvm_predict(C, train, texts):
    """NB-SVM (Wang & Manning 2012) as the common recipe: word 1-2-gram presence scaled by the log-count ratio, then LR."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True)
    x, y = vectorizer.fit_transform(train[0]), np.asarray(train[1])
    negative, positive = sorted(set(train[1]))
    p, q = x[y == positive].sum(0) + 1, x[y == negative].sum(0) + 1
    ratio = np.asarray(np.log((p / p.sum()) / (q / q.sum()))).ravel()
    model = LogisticRegression(C=C, max_iter=2000).fit(x.multiply(ratio).tocsr(), y)
    return model.predict(vectorizer.transform(texts).multiply(ratio).tocsr())


def fasttext_predict(options, train, texts):
    import fasttext

    sets = multilabel(train[1])  # label sets: one-vs-all loss, a probability per label
    options = {**options, "loss": "ova"} if sets else options
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "train.txt"
        tags = lambda label: " ".join(f"__label__{one}" for one in (label if isinstance(label, tuple) else [label]))  # noqa: E731
        path.write_text("".join(f"{tags(label)} {' '.join(text.split())}\n" for text, label in zip(*train)),
                        encoding="utf-8")
        # fastText's default thread count: with thread=1, 0.9.x initialises only part of its tables.
        model = fasttext.train_supervised(str(path), verbose=0, seed=0, **options)
        lines = [" ".join(text.split()) for text in texts]  # (a list: one string fails on NumPy 2 in fastText 0.9.3)
        if not sets:
            return [found[0][len("__label__"):] for found in model.predict(lines)[0]]
        classes = [label[len("__label__"):] for label in model.labels]
        scores = np.zeros((len(lines), len(classes)))
        for row, (labels, probabilities) in enumerate(zip(*model.predict(lines, k=-1, threshold=0.0))):
            for label, probability in zip(labels, probabilities):
                scores[row, classes.index(label[len("__label__"):])] = probability
    return classes, scores


def run_peer(name: str, train, test) -> tuple[dict, object]:
    fit_predict, grid = PEERS[name]
    if multilabel(train[1]):
        return tuned_label_sets(fit_predict, grid, train, test)
    return tuned(fit_predict, grid, train, test)


#: Label sets: the decision thresholds the peers are tuned over, one for all labels (ours fits one per label).
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)


def tuned_label_sets(fit_scores, grid, train, test) -> tuple[dict, object]:
    """:func:`tuned` for label sets: each setting is trained once on the fit carve and every
    threshold of :data:`THRESHOLDS` tried on its validation scores (micro-F1)."""
    fit, validation = carve(*train)

    def decided(classes, scores, threshold):
        return [tuple(sorted(classes[k] for k in np.flatnonzero(row >= threshold))) for row in scores]

    scored = []
    for setting in grid:
        try:
            classes, scores = fit_scores(setting, fit, validation[0])
        except RuntimeError:  # fastText diverges (NaN) at high learning rates
            continue
        scored += [(accuracy(decided(classes, scores, t), validation[1]), (setting, t)) for t in THRESHOLDS]
    setting, threshold = max(scored, key=lambda pair: pair[0])[1]
    classes, scores = fit_scores(setting, train, test[0])
    return figures(decided(classes, scores, threshold), test[1]), {"setting": setting, "threshold": threshold}


PEERS = {
    "fasttext-tuned": (fasttext_predict, FASTTEXT_GRID),
    "tfidf-word12-lr": (tfidf_predict("word", (1, 2)), C_GRID),
    "tfidf-char15-lr": (tfidf_predict("char_wb", (1, 5)), C_GRID),
    "nbsvm-12": (nbsvm_predict, C_GRID),
}


def ours_cli(folder: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "bundle"
        started = time.monotonic()
        subprocess.run([CLI, "export", "--train", str(folder / "train.tsv"), "--out", str(bundle)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.monotonic() - started
        evaluated = subprocess.run([CLI, "evaluate", "--model", str(bundle), "--file", str(folder / "test.tsv"), "--json"],
                                   check=True, capture_output=True, text=True).stdout
        onnx = next(json.loads(line) for line in evaluated.splitlines() if json.loads(line)["backend"] == "onnx")
        manifest = json.loads((bundle / "manifest.json").read_text())
    config = manifest["training"]["config"]
    shown = ("micro_f1", "macro_f1", "subset_accuracy") if onnx["task"] == "multilabel" else ("accuracy", "macro_f1")
    return {**{name: round(onnx[name], 4) for name in shown}, "seconds": round(seconds),
            "num_words": config["num_words"], "maxlen": config["maxlen"], "best_epoch": manifest["training"]["best_epoch"],
            "class_weight": config.get("class_weight"),
            "rnn_phase": manifest["training"].get("rnn_phase", {}).get("kept")}


def ours_in_process(folder: Path, overrides: dict) -> dict:
    from edge_sentiment.classifier import SentimentClassifier
    from edge_sentiment_export import config as C
    from edge_sentiment_export.labeled_files import load_labeled_files
    from edge_sentiment_export.stack import exporter_module
    from edge_sentiment_export.vocab import FITTABLE

    overrides = dict(overrides)
    fitted = tuple(name for name in FITTABLE if name != "subwords" or overrides.pop("subwords", "auto") != "off")
    config = C.get_preset("default").with_overrides(**overrides)
    data = load_labeled_files(str(folder / "train.tsv"), seed=config.seed, log=lambda m: None)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        manifest = exporter_module().export_bundle(config, data, Path(scratch) / "b", command="benchmark",
                                                    log=lambda m: None, fitted_settings=fitted)
        seconds = time.monotonic() - started
        texts, labels = read_tsv(folder / "test.tsv")
        predictions = SentimentClassifier.load(Path(scratch) / "b").predict_batch(texts)
    config = manifest["training"]["config"]
    found = [tuple(sorted(p.labels)) if multilabel(labels) else type(labels[0])(p.label) for p in predictions]
    return {**{k: round(v, 4) for k, v in figures(found, labels).items()}, "seconds": round(seconds),
            "num_words": config["num_words"], "maxlen": config["maxlen"], "best_epoch": manifest["training"]["best_epoch"],
            "class_weight": config.get("class_weight"), "subwords": config.get("subword_min_n") and
            f"{config['subword_min_n']}-{config['subword_max_n']} x{config['subword_slots']}",
            "rnn_phase": manifest["training"].get("rnn_phase", {}).get("kept")}


def compare(folders: list[Path], candidates: list[dict], peers: bool) -> None:
    for folder in folders:
        train, test = read_tsv(folder / "train.tsv"), read_tsv(folder / "test.tsv")
        shown = {"dataset": str(folder), "train_rows": len(train[0]), "test_rows": len(test[0])}
        two_labels = not multilabel(train[1]) and len(set(train[1])) == 2
        for name in PEERS if peers else ():
            if name.startswith("nbsvm") and not two_labels:
                continue  # NB-SVM's log-count ratio is defined for two classes
            started = time.monotonic()
            # Each peer in a fresh process: once scikit-learn has run, fastText's training hits NaN.
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                score, setting = pool.apply(run_peer, (name, train, test))
            print(json.dumps({**shown, "model": name, **{k: round(v, 4) for k, v in score.items()}, "setting": setting,
                              "seconds": round(time.monotonic() - started, 1)}), file=RESULTS, flush=True)
        for overrides in candidates or [None]:
            result = ours_cli(folder) if overrides is None else ours_in_process(folder, overrides)
            print(json.dumps({**shown, "model": "edge-sentiment", "overrides": overrides, **result}), file=RESULTS, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("make")
    made.add_argument("data")
    made.add_argument("out", type=Path)
    held = commands.add_parser("holdout")
    held.add_argument("folder", type=Path)
    compared = commands.add_parser("compare")
    compared.add_argument("folders", type=Path, nargs="+")
    compared.add_argument("--overrides", type=json.loads, action="append", default=[])
    compared.add_argument("--no-peers", dest="peers", action="store_false")
    args = parser.parse_args()
    sys.stdout = sys.stderr
    if args.command == "make":
        make(args.data, args.out)
    elif args.command == "holdout":
        holdout(args.folder)
    else:
        compare(args.folders, args.overrides, args.peers)


if __name__ == "__main__":
    sys.exit(main())
