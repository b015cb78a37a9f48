"""The ``edge-sentiment`` command line (also ``python -m edge_sentiment``).

Exit status, the same for every command: 0 done; 1 the data, the bundle or the
environment is wrong; 2 the command line is wrong; 130 interrupted (Ctrl-C), 143 stopped
(SIGTERM): output ends with a whole line, worker processes are stopped. Errors are
one ``error: ...`` line on stderr that says what to fix; results go to stdout.
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException

from . import __version__
from .cli_input import ON_ERROR_CHOICES, InputError, LineReader
from .cli_output import (
    OutputClosed, file_progress, install_interrupt_handler, interrupted, interrupted_status, log, preview,
    progress, silence_stdout, stdout, write_chunked, write_file, write_lines,
)
from .errors import BackendUnavailableError, BundleError, EdgeSentimentError
from .constants import SYMBOLS_TOKENIZER, TOKENIZER_NAME
from .tasks import TASKS

#: export --symbols: the tokenizer each value asks for (None: the training texts decide).
SYMBOL_CHOICES = {"auto": None, "tokens": SYMBOLS_TOKENIZER, "separators": TOKENIZER_NAME}
EXIT_STATUS = (
    "Exit status: 0 done; 1 the data, the bundle or the environment is wrong (the message says what to fix); "
    "2 the command line is wrong; 130 interrupted (Ctrl-C); 143 stopped (SIGTERM)."
)
app = typer.Typer(
    help="Text classification on small devices: score text with the shipped sentiment model or your own, "
    "retrain and export your own, evaluate and inspect bundles.",
    epilog=EXIT_STATUS,
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    # Plain help: rich markup would read "[train]" in help texts as a style tag and drop it.
    rich_markup_mode=None,
)

ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Bundle directory (holds manifest.json). Default: the model shipped with the package."),
]
BackendOption = Annotated[
    str,
    typer.Option(
        help="Inference backend: onnx (default), tflite (needs the 'tflite' extra), numpy (pure NumPy: no "
        "onnxruntime needed; slower where the model reads its RNN) or onnx-int8 (the quantized model, if the bundle was exported with --quantize)."
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Processes that tokenize, for inputs of more than 4,096 texts: 2 on a 2-core machine scored "
        "1.5-2x as many texts per second. Tokenizing is pure Python, one core per process.",
    ),
]
TextColumnOption = Annotated[
    Optional[str],
    typer.Option(help="Column (or JSON key) of the texts. Default: the first of text, review, sentence, document, "
                      "content, comment, tweet, ... (or their plurals) the file has."),
]
LabelMapOption = Annotated[
    Optional[list[str]],
    typer.Option("--label-map", help='Read written label values as another label: "VALUES=LABEL", values separated by '
                 'commas, e.g. --label-map "1,2=negative" --label-map "4,5=positive" (repeat it for each label).',
                 show_default=False),
]
DropLabelOption = Annotated[
    Optional[list[str]],
    typer.Option("--drop-label", help="Leave out the rows of this label (as written, or as --label-map makes it); "
                 "repeat it for more.", show_default=False),
]
LabelColumnOption = Annotated[
    Optional[str],
    typer.Option(help="Column (or JSON key) of the labels. Default: the first of label, sentiment, class, target."),
]


class UsageError(EdgeSentimentError):
    """A command line that cannot be carried out as given (exit status 2)."""


def _print_version(value: bool) -> None:
    if value:
        write_lines([f"edge-sentiment {__version__}"])
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass


@app.command(epilog=EXIT_STATUS)
def predict(
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to score, each one argument.", show_default=False)] = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file", "-f",
            help="Score a UTF-8 file with one text per line ('-' reads standard input). Line ends may be LF or "
            "CRLF and a leading byte-order mark is dropped; every line is scored, empty ones too, so output line N "
            "belongs to input line N (unless --on-error skip leaves a line out).",
        ),
    ] = None,
    file_format: Annotated[
        Optional[str],
        typer.Option(
            "--format",
            help="text (one text per line), csv, tsv (both with a header row) or jsonl (one object per line). "
            "Default: from the file name (.csv, .tsv, .jsonl or .json), else text. For csv, tsv and jsonl the output keeps "
            "every input column and adds predicted_label and score, in the input's format (JSON Lines with --json).",
        ),
    ] = None,
    text_column: TextColumnOption = None,
    on_error: Annotated[
        str,
        typer.Option(
            help="What a line that is not valid UTF-8 does: stop (the run ends with its line number, after every "
            "line before it is written), skip (left out, with a warning), replace (bad bytes become U+FFFD, with a warning).",
        ),
    ] = "stop",
    as_json: Annotated[bool, typer.Option("--json", help='Write JSON Lines: {"text", "label", "score", "scores"} per text.')] = False,
    all_scores: Annotated[
        bool, typer.Option("--all-scores", help="Every label's score: with a CSV, TSV or JSON Lines --file, one "
                           "score_<label> column per label, in the bundle's order; for texts and plain lines, listed "
                           "after the label, best first (--top-k with every label).")
    ] = False,
    top_k: Annotated[
        Optional[int], typer.Option("--top-k", min=1, help="Keep the K highest of each text's label scores (--json's "
                                    "scores; the text output then lists them after the label).")
    ] = None,
    model: ModelOption = None,
    threshold: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Score at or above which a text gets the "
                         "positive label (two labels; default 0.5), or each label (multilabel; default: the thresholds "
                         "the bundle fitted per label).")] = None,
    backend: BackendOption = "onnx",
    workers: WorkersOption = 1,
) -> None:
    """Score texts: prints the label, its score (two labels: P(positive)) and the text, one
    text per line; a multilabel bundle prints every label over its threshold, joined by '|'.

    With no text and no --file, or with the text '-', reads standard input when it is a pipe or a file."""
    texts, file = _stdin_as_file(texts, file)
    if texts and file:
        raise UsageError("give texts as arguments or --file, not both")
    if not texts and file is None:
        raise UsageError("nothing to score: give a text (edge-sentiment predict \"great film\") or --file PATH ('-' for stdin)")
    if on_error not in ON_ERROR_CHOICES:
        raise UsageError(f"--on-error must be one of: {', '.join(ON_ERROR_CHOICES)} (got {on_error!r})")
    from .tables import file_format as format_of

    try:
        fmt = format_of(file or "", file_format)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    listed_scores = all_scores and (file is None or fmt == "text")
    if listed_scores and top_k is not None:
        raise UsageError("--all-scores lists every label's score and --top-k the K best: give one of them")
    if texts and len(texts) == 1 and os.path.isfile(texts[0]):
        log(f"note: {texts[0]!r} is a file, scored here as a text; did you mean --file {shlex.quote(texts[0])}?")
    from .classifier import SentimentClassifier

    with SentimentClassifier.load(model, backend=backend, threshold=threshold, workers=workers) as classifier:
        shape = _Shape(as_json, len(classifier.labels) if listed_scores else top_k, classifier.task == "multilabel")
        if file is None:
            _write_predictions(classifier, texts or [], shape)
        elif fmt == "text":
            _write_file_predictions(classifier, LineReader(file, on_error, warn=log), shape)
        else:
            from .table_output import write_table_predictions

            write_table_predictions(classifier, file, fmt, text_column, on_error, as_json, all_scores,
                                    classifier.bundle.label_separator)


def _stdin_as_file(texts: Optional[list[str]], file: Optional[str]) -> tuple[Optional[list[str]], Optional[str]]:
    """``predict -`` and ``... | predict`` read standard input, as ``--file -`` does."""
    if texts == ["-"] and file is None:
        return None, "-"
    if not texts and file is None and _stdin_is_data():
        return None, "-"
    return texts, file


def _stdin_is_data() -> bool:
    """Standard input is a pipe or a file (not a terminal, not /dev/null, not closed)."""
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


class _Shape:
    """How predict writes a prediction: JSON or text, the top K scores, multilabel's label list."""

    def __init__(self, as_json: bool, top_k: int | None, multilabel: bool) -> None:
        from .classifier import prediction_record  # (imported once here, not per line)

        self.as_json, self.top_k, self.multilabel = as_json, top_k, multilabel
        self.record = prediction_record


def _write_file_predictions(classifier, reader: LineReader, shape: _Shape) -> None:
    """Score ``reader``'s lines as they are read; if a line fails, every line before it is written first."""
    total = None if reader.file == "-" else _file_size(reader.file)
    written = 0  # bytes of input whose results are written
    with file_progress(total) as advance:

        def after_chunk(count: int) -> None:
            nonlocal written
            advance(count, reader.bytes_read - written)
            written = reader.bytes_read

        # iter_predict reads ahead one window and scores it while the next is encoded.
        predictions = classifier.iter_predict(reader)
        write_chunked((_format(text, p, shape) for text, p in predictions), after_chunk)


def _file_size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None  # LineReader says why it cannot be read


def _write_predictions(classifier, texts: list[str], shape) -> None:
    write_lines([_format(t, p, shape) for t, p in zip(texts, classifier.predict_batch(texts))])


def _format(text: str, prediction, shape: _Shape) -> str:
    if shape.as_json:
        return json.dumps(shape.record(text, prediction, multilabel=shape.multilabel, top_k=shape.top_k), ensure_ascii=False)
    kept = list(itertools.islice(prediction.scores.items(), shape.top_k))
    label = "|".join(prediction.labels) or "(none)" if shape.multilabel else prediction.label
    ranked = "\t" + " ".join(f"{name}:{value:.4f}" for name, value in kept) if shape.top_k else ""
    return f"{label}\t{prediction.score:.4f}{ranked}\t{preview(text)}"


@app.command(epilog=EXIT_STATUS)
def export(
    data: Annotated[
        Optional[Path],
        typer.Option(help="aclImdb source: the upstream aclImdb_v1.tar.gz, the labeled tarball, or an extracted folder."),
    ] = None,
    train: Annotated[
        Optional[str],
        typer.Option(help="Your own labeled training file instead of --data: CSV or TSV with a header row, or JSON Lines "
                     "(by its name, or --format), fastText lines (__label__… text), or a folder with one subfolder per "
                     "label holding one text per .txt file. Two or more labels, kept as written; several per row "
                     "make it multilabel (see --task)."),
    ] = None,
    validation: Annotated[Optional[str], typer.Option(help="Validation file (default: another 10% of --train, stratified and seeded, held out).")] = None,
    test: Annotated[Optional[str], typer.Option(help="Test file (default: 10% of --train, stratified and seeded, held out).")] = None,
    file_format: Annotated[Optional[str], typer.Option("--format", help="csv, tsv, jsonl or fasttext for --train/--validation/--test.")] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    label_map: LabelMapOption = None,
    drop_label: DropLabelOption = None,
    min_count: Annotated[
        int, typer.Option(min=0, help="Leave out the labels with fewer training rows than this (0: keep every label).")
    ] = 0,
    class_weight: Annotated[
        str, typer.Option(help="none (every row weighs the same), balanced (a rare class's rows weigh more, so it "
                          "counts as much as a common one), or auto: with --train, when the rarest class holds under two "
                          "thirds of an even share of the rows (two labels: under a third), balanced if it is "
                          "clearly the better on the validation split (accuracy + macro-F1, by a standard error), "
                          "else none.")
    ] = "auto",
    feature_weights: Annotated[
        str, typer.Option(help="none (every word, word pair and subword of the bags starts equal), log-count-ratio "
                          "(while training, each is scaled by how well its presence tells the labels apart, as in "
                          "NB-SVM; the bundle is the same kind), or auto: with --train, log-count-ratio unless none "
                          "lowers the validation loss of the bag-of-words phase by 1% or more.")
    ] = "auto",
    symbols: Annotated[
        str, typer.Option(help="tokens (each emoji, heart, star or other symbol is a token of its own: tokenizer "
                          "edge-sentiment-v2), separators (symbols separate words, as punctuation does: v1), or auto: "
                          "with --train, tokens when a symbol occurs in at least 2 training texts.")
    ] = "auto",
    positive: Annotated[
        Optional[str],
        typer.Option(help="Two labels: the label value of the positive class (what score is the probability of). "
                     "Default: the value that reads as positive (1, true, pos, positive), else the second in sorted order."),
    ] = None,
    task: Annotated[
        Optional[str],
        typer.Option(help="binary (two labels), multiclass (one of three or more labels per text: scores sum to 1) or "
                     "multilabel (any number of labels per text: a probability and a threshold per label). Default: "
                     "from the file (multilabel when a row holds several labels)."),
    ] = None,
    label_separator: Annotated[
        str, typer.Option(help="What joins several labels of one row in a label column (e.g. 'joy|surprise'). JSON Lines "
                          "may give a list instead, fastText lines several __label__ words.")
    ] = "|",
    out: Annotated[
        Path,
        typer.Option(
            help="Directory to write the bundle into: a new or empty one, or (with --overwrite) a previous bundle. "
            "A directory holding anything else is never replaced."
        ),
    ] = Path("model"),
    preset: Annotated[str, typer.Option(help="Named training configuration (see 'edge-sentiment presets').")] = "default",
    num_words: Annotated[
        Optional[int],
        typer.Option(min=4, help="Vocabulary size (ids, counting the 3 special ones). Default: the preset's with --data; "
                     "with --train, fitted to the file: the words seen at least twice, up to the preset's."),
    ] = None,
    maxlen: Annotated[
        Optional[int],
        typer.Option(min=1, help="Ids read per text; longer texts keep their end. Default: the preset's with --data; with "
                     "--train, the 99th percentile of the training texts' lengths (at least 16), up to the preset's. "
                     "(With --train the bags' prior follows the data too: the median length, up to the preset's.)"),
    ] = None,
    subwords: Annotated[
        str,
        typer.Option(help="Hashed character n-grams of every word, so misspelt, inflected and unseen words still "
                     "count: 'auto' (with --train, for presets with a bag of words: 3- to 5-grams, or 1- to 3-grams when most "
                     "letters are Hangul, Han or kana, left out if the bag phase's validation loss is clearly lower without them; "
                     "with --data: the preset's), 'off', or a range such as '2-4' (kept)."),
    ] = "auto",
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Override the preset's maximum number of epochs.")] = None,
    refit: Annotated[
        Optional[bool],
        typer.Option("--refit/--no-refit", help="Once the epochs are chosen on the validation rows, train the exported "
                     "model afresh on every training row (a test split carved from --train included: the manifest then "
                     "reports the held-out figures of the model before the refit). Default: the preset's (on for 'default')."),
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the preset's random seed.")] = None,
    train_limit: Annotated[Optional[int], typer.Option(min=2, help="Train on a seeded random sample of N training texts.")] = None,
    test_limit: Annotated[Optional[int], typer.Option(min=1, help="Evaluate and check parity on N test texts.")] = None,
    download: Annotated[
        bool, typer.Option(help="Download the upstream tarball (sha256-checked) into --data's folder or ./data when missing.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace the previous bundle at --out (only a bundle: a directory with manifest.json).")] = False,
    quantize: Annotated[
        bool, typer.Option(help="Also write model.int8.onnx (dynamic int8 quantization) with its own test accuracy.")
    ] = False,
) -> None:
    """Train on IMDB (--data) or your own labeled file (--train) and export a checked bundle:
    ONNX, TFLite, Keras, vocab and manifest.

    The bundle is only written if ONNX, TFLite and NumPy agree with Keras within 1e-5
    on the test texts; a failed export leaves --out as it was. Needs the training
    and tflite extras:

    \b
        pip install 'edge-sentiment[train,tflite]'
    """
    if class_weight not in ("auto", "none", "balanced"):
        raise UsageError(f"--class-weight must be one of: auto, none, balanced (got {class_weight!r})")
    if feature_weights not in ("auto", "none", "log-count-ratio"):
        raise UsageError(f"--feature-weights must be one of: auto, none, log-count-ratio (got {feature_weights!r})")
    if symbols not in SYMBOL_CHOICES:
        raise UsageError(f"--symbols must be one of: {', '.join(SYMBOL_CHOICES)} (got {symbols!r})")
    if task is not None and task not in TASKS:
        raise UsageError(f"--task must be one of: {', '.join(TASKS)} (got {task!r})")
    if not label_separator or label_separator.isspace() and label_separator != "\t":
        raise UsageError("--label-separator must be a character or string that joins labels, such as '|' or ';'")
    given = {"num_words": num_words, "maxlen": maxlen, "epochs": epochs, "refit": refit, "seed": seed,
             "train_limit": train_limit, "test_limit": test_limit,
             "class_weight": None if class_weight == "auto" else class_weight,
             "feature_weights": None if feature_weights == "auto" else feature_weights.replace("-", "_"),
             "tokenizer": SYMBOL_CHOICES[symbols]}
    overrides = {k: v for k, v in given.items() if v is not None}
    subword_overrides = _subword_option(subwords)
    from edge_sentiment_export import config as config_module, data as data_module  # TensorFlow-free
    from edge_sentiment_export.destination import check_destination
    from edge_sentiment_export.stack import check_training_extras, exporter_module
    from edge_sentiment_export.vocab import FITTABLE

    try:
        config = config_module.get_preset(preset).with_overrides(**overrides)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if train is not None and (data is not None or download):
        raise UsageError("give --data (aclImdb) or --train (your own file), not both")
    if train is None and (validation or test):
        raise UsageError("--validation and --test go with --train")
    _check_table_format(file_format)
    if train is None and (label_map or drop_label or min_count or task):
        raise UsageError("--label-map, --drop-label, --min-count and --task go with --train")
    rules = _label_rules(label_map, drop_label)
    for option, path in (("--train", train), ("--validation", validation), ("--test", test), ("--data", data), ("--out", out)):
        _check_utf8_path(option, path)
    check_training_extras()
    out = out.expanduser().resolve()  # "." and "" become the directory they name
    check_destination(out, overwrite, log)  # before minutes of reading data and importing TensorFlow
    if train is not None:
        from edge_sentiment_export.labeled_files import load_labeled_files

        dataset = load_labeled_files(train, validation, test, fmt=file_format, text_column=text_column,
                                     label_column=label_column, positive=positive, seed=config.seed, log=log,
                                     rules=rules, min_count=min_count, task=task, separator=label_separator)
    else:
        source = _dataset_path(data, download, data_module)
        log(f"reading {source}")
        dataset = data_module.load_imdb(source)
    exporter = exporter_module()  # imports TensorFlow: only once the inputs are known to be good
    command = shlex.join(["edge-sentiment", *sys.argv[1:]])
    fitted = tuple(name for name in FITTABLE if name not in overrides) if train is not None else ()
    if subwords == "off":
        fitted = tuple(name for name in fitted if name != "subwords")
    elif subword_overrides:  # (buckets, slots and width are fitted to the texts)
        config = config.with_overrides(**subword_overrides)
        fitted = tuple(dict.fromkeys((*fitted, "subwords")))
    manifest = exporter.export_bundle(
        config, dataset, out, command=command, overwrite=overwrite, quantize=quantize, log=log, progress=progress, fitted_settings=fitted
    )
    log(_export_summary(out, manifest))
    one_class = _single_class_warning(manifest)
    if one_class:
        log(one_class)


def _label_rules(label_map: Optional[list[str]], drop_label: Optional[list[str]]):
    from .labels import LabelError, LabelRules

    try:
        return LabelRules.parse(label_map or (), drop_label or ())
    except LabelError as exc:
        raise UsageError(str(exc)) from None


def _subword_option(value: str) -> dict:
    """--subwords: {} for auto and off (the rule decides, or nothing), else the n-gram range asked for."""
    if value in ("auto", "off"):
        return {}
    low, _, high = value.partition("-")
    if not (low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high) <= 8):
        raise UsageError(f"--subwords must be auto, off, or a range of n-gram lengths from 1 to 8 such as 3-5 (got {value!r})")
    return {"subword_min_n": int(low), "subword_max_n": int(high)}


def _check_utf8_path(option: str, path) -> None:
    """A path the bundle records must be text: one whose bytes are not UTF-8 is refused at once."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{option} {os.fsencode(str(path))!r}: the path is not valid UTF-8, which the bundle's "
                         "manifest must record as text; rename it") from None


def _check_table_format(value: str | None) -> None:
    from .tables import LABELED_FORMATS

    if value is not None and value not in LABELED_FORMATS:
        raise UsageError(f"--format must be one of: {', '.join(LABELED_FORMATS)} (got {value!r})")


def _dataset_path(data: Optional[Path], download: bool, data_module) -> Path:
    if data is not None and (data.exists() or not download):
        return data
    if not download:
        raise UsageError("--data is required: the aclImdb tarball or folder (or add --download to fetch it)")
    folder = data.parent if data is not None else Path("data")
    log(f"downloading {data_module.UPSTREAM_URL} into {folder} (checked against its sha256)")
    return data_module.download_imdb(folder)


def _export_summary(out: Path, manifest: dict) -> str:
    metrics = manifest["metrics"]
    diffs = ", ".join(f"{name} {p['max_abs_diff']:.1e}" for name, p in metrics["parity_vs_keras"].items())
    sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.2f} MB" for k, v in manifest["files"].items())
    multilabel = manifest.get("task") == "multilabel"
    if "test" in metrics:
        measured, figures = "test", metrics["test"]
    else:  # refit on every training row: the figures are those before the refit, on rows it had not seen
        measured, figures = "held-out (before the refit on every row)", {"keras": metrics["held_out"]}
    # (multilabel accuracy is subset accuracy: every label of a text right)
    shown = ", ".join(f"{name} {m['micro_f1' if multilabel else 'accuracy']:.4f}" for name, m in figures.items())
    if multilabel:
        shown += "; subset accuracy: " + ", ".join(f"{name} {m['accuracy']:.4f}" for name, m in figures.items())
    first = next(iter(figures.values()))
    if "confusion_matrix" in first:
        rows = [sum(row) for row in first["confusion_matrix"]]
        baseline = max(rows) / max(1, sum(rows))
    else:
        baseline = first["majority_baseline"]
    return (
        f"wrote {out} in {manifest['timings']['export_seconds']:.0f} s; {measured} {'micro-F1' if multilabel else 'accuracy'}: "
        f"{shown} ({'the most common label set' if multilabel else 'majority class'} alone: "
        f"{baseline:.4f}); max |diff| vs Keras: {diffs}; sizes: {sizes}"
    )


def _single_class_warning(manifest: dict) -> str | None:
    """A warning when the exported model gives every test text the same label."""
    metrics = manifest["metrics"]
    confusion = (metrics["test"]["onnx"] if "test" in metrics else metrics["held_out"]).get("confusion_matrix")
    if confusion is None:  # multilabel
        return None
    total = sum(map(sum, confusion))
    for column, predicted in enumerate(manifest["labels"]):
        chosen = sum(row[column] for row in confusion)
        if total and chosen == total:
            return (f"warning: the model predicts {predicted!r} for every one of the {total:,} test texts "
                    f"({confusion[column][column]:,} of them are {predicted!r}): it has learnt the majority class only; "
                    f"give it more examples of the other class{'es' if len(confusion) > 2 else ''}, or balance the "
                    "training file")
    return None


@app.command(epilog=EXIT_STATUS)
def evaluate(
    model: ModelOption = None,
    data: Annotated[
        Optional[Path], typer.Option(help="aclImdb tarball or folder: evaluate on all 25,000 test reviews.")
    ] = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file", "-f",
            help="Labeled file ('-' reads standard input): CSV or TSV with a header row, JSON Lines of objects, or "
            "fastText lines (__label__LABEL text) (by its name, or --format; a name that says none of these is read "
            "as fastText's format when its first line starts with __label__, else as JSON Lines), or a folder with "
            "one subfolder per label holding one text per .txt file. Labels: the bundle's label names, or "
            "1/true/pos/positive and 0/false/neg/negative, after the label map the bundle was trained with.",
        ),
    ] = None,
    file_format: Annotated[Optional[str], typer.Option("--format", help="csv, tsv, jsonl or fasttext: overrides the file name.")] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    label_map: LabelMapOption = None,
    drop_label: DropLabelOption = None,
    backend: Annotated[
        str,
        typer.Option(help="onnx, tflite, numpy, onnx-int8, or all: every backend the bundle has files for and "
                     "this installation can run (the ones skipped are named)."),
    ] = "all",
    threshold: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Decision threshold: of the positive class "
                         "(two labels; default 0.5), or of every label (multilabel; default: the bundle's per label).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
    workers: WorkersOption = 1,
    plot: Annotated[
        Optional[Path], typer.Option(help="Also write the onnx (or first) backend's confusion matrix as a PNG to this path "
                                     "(two or more exclusive labels).")
    ] = None,
) -> None:
    """Accuracy, precision, recall, F1, confusion matrix and calibration (ECE, NLL, Brier,
    saturated scores) of a bundle on labeled texts, overall and by text length in tokens.
    More labels: accuracy, macro- and micro-F1, per-class figures, the N x N confusion matrix,
    top-label and class-wise ECE; multilabel: micro/macro-F1, subset accuracy, Hamming loss and
    per-label figures at the bundle's thresholds. Always the majority baseline.
    With --json: one JSON object per backend and line."""
    from .backends import BACKENDS, available_backends
    from .bundle import load_bundle
    from .classifier import SentimentClassifier
    from .metrics import evaluation_report, majority_baseline
    from .tasks import targets

    if (data is None) == (file is None):
        raise UsageError("give exactly one of --data (the aclImdb test split) or --file (a labeled CSV, TSV or JSON Lines file)")
    _check_table_format(file_format)
    if backend != "all" and backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}, all")
    bundle = load_bundle(model)
    task = bundle.manifest.task
    if plot is not None and task == "multilabel":
        raise UsageError("--plot draws a confusion matrix, which a multilabel bundle does not have; use --json for "
                         "its per-label figures")
    rules = _label_rules(label_map, drop_label) if label_map or drop_label else _trained_label_rules(bundle)
    texts, labels = _labeled_texts(data, file, file_format, text_column, label_column, bundle.labels, rules, task,
                                   bundle.label_separator)
    if not texts:
        raise InputError(f"{data or file} holds no labeled texts to evaluate on")
    names = available_backends(bundle) if backend == "all" else [backend]
    token_counts = [len(bundle.encoding.tokenize(text)) for text in texts]
    results, failed = {}, []
    for name in names:
        try:
            classifier = SentimentClassifier(bundle, backend=name, threshold=threshold, workers=workers)
        except BackendUnavailableError as exc:
            if backend != "all":
                raise
            log(f"skipped {name}: {exc}")
            continue
        except BundleError as exc:
            if backend != "all":
                raise
            log(f"error: {name}: {exc}")  # the other backends still report
            failed.append(name)
            continue
        with classifier, progress(f"evaluating {name}", len(texts)) as advance:
            scores = _scores(classifier, texts, advance)
            truth = targets(labels, task, len(bundle.labels))
            results[name] = evaluation_report(truth, scores, token_counts, classifier.threshold, names=bundle.labels,
                                              task=task, thresholds=[classifier.thresholds.get(n) for n in bundle.labels],
                                              min_labels=bundle.manifest.min_labels)
    if plot is not None and results:
        from .confusion_plot import write_confusion_matrix

        shown = "onnx" if "onnx" in results else next(iter(results))
        write_confusion_matrix(results[shown]["confusion_matrix"], bundle.labels, plot, f"{bundle.path.name}: {shown}, "
                               f"{len(texts):,} texts from {data or file}")
        log(f"wrote {plot}")
    if as_json:
        from .reports import EvaluationReport

        write_lines([json.dumps({"backend": name, **EvaluationReport.from_figures(task, report).to_dict()})
                     for name, report in results.items()])
    elif results and task != "binary":
        write_lines(_labels_tables(results, bundle.labels, task))
    elif results:
        baseline = majority_baseline(labels)
        majority = bundle.labels[int(sum(labels) * 2 > len(labels))]
        write_lines([_metrics_table(results), f"majority class {majority!r}: accuracy {baseline:.4f} by always "
                     "predicting it (the baseline a model must beat)", "", _length_table(results)])
    if failed:
        raise EdgeSentimentError(f"the {', '.join(failed)} backend(s) of {bundle.path} failed to load (see above); "
                                 "the others' metrics are printed")


def _scores(classifier, texts: list[str], advance):
    """The scores of ``texts``: P(positive) per text for a binary bundle, else ``[n, K]``."""
    import numpy as np

    windows = []
    for window, scores in classifier._scored_windows(texts):
        windows.append(scores)
        advance(len(window))
    return classifier._public(np.concatenate(windows))


def _labels_tables(results: dict, names: tuple[str, ...], task: str) -> list[str]:
    """evaluate's tables for more than two labels: figures per backend, per class, the confusion matrix."""
    if task == "multiclass":
        head = f"{'backend':9} {'texts':>8} {'accuracy':>9} {'macro_f1':>9} {'top_ece':>8} {'class_ece':>9} {'nll':>7}"
        rows = [f"{n:9} {m['texts']:>8} {m['accuracy']:>9.4f} {m['macro_f1']:>9.4f} {m['top_label_ece']:>8.4f} "
                f"{m['classwise_ece']:>9.4f} {m['nll']:>7.4f}" for n, m in results.items()]
    else:
        head = (f"{'backend':9} {'texts':>8} {'micro_f1':>9} {'macro_f1':>9} {'subset_acc':>10} {'hamming':>8} "
                f"{'class_ece':>9}")
        rows = [f"{n:9} {m['texts']:>8} {m['micro_f1']:>9.4f} {m['macro_f1']:>9.4f} {m['subset_accuracy']:>10.4f} "
                f"{m['hamming_loss']:>8.4f} {m['classwise_ece']:>9.4f}" for n, m in results.items()]
    shown = "onnx" if "onnx" in results else next(iter(results))
    report = results[shown]
    width = max(12, *(len(n) for n in names[:50]))
    per_class = [f"{'label':{width}} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"
                 + ("  threshold" if task == "multilabel" else "")]
    for name, c in report["per_class"].items():
        per_class.append(f"{name:{width}} {c['precision']:>9.4f} {c['recall']:>7.4f} {c['f1']:>7.4f} {c['support']:>8}"
                         + (f"  {c['threshold']:>9.3f}" if task == "multilabel" else ""))
    lines = [head, *rows, "", f"per label ({shown}):", *per_class, ""]
    if "confusion_matrix" in report:
        lines += [f"confusion matrix ({shown}; rows: true label, columns: predicted):", *_matrix(report["confusion_matrix"], names), ""]
    lines.append(f"majority baseline: {report['majority_baseline']:.4f} "
                 + ("(accuracy of always predicting the most common label)" if task == "multiclass"
                    else "(subset accuracy of always predicting the most common label set)"))
    return lines


def _matrix(matrix: list[list[int]], names: tuple[str, ...]) -> list[str]:
    width = max(6, min(12, max(len(n) for n in names)), *(len(str(v)) for row in matrix for v in row)) + 1
    label_width = max(len(n) for n in names)
    header = " " * label_width + "".join(f"{n[:width - 1]:>{width}}" for n in names)
    return [header, *(f"{n:{label_width}}" + "".join(f"{v:>{width}}" for v in row) for n, row in zip(names, matrix))]


def _trained_label_rules(bundle):
    """The label map and dropped labels the bundle was trained with (none for older bundles)."""
    from .labels import LabelRules

    dataset = bundle.manifest.reports.get("dataset")
    return LabelRules.from_dict(dataset.raw.get("label_rules") if dataset is not None else None)


def _labeled_texts(data: Optional[Path], file: Optional[str], file_format, text_column, label_column,
                   labels: tuple[str, ...], rules, task: str = "binary", separator: str = "|") -> tuple[list[str], list]:
    if data is not None:
        from edge_sentiment_export.data import load_imdb  # TensorFlow-free module

        log(f"reading {data}")
        test = load_imdb(data, splits=("test",)).test
        return test.texts, test.labels
    from .tables import read_labeled

    if file is None:
        raise UsageError("give the labelled texts: --file PATH (or --data for the IMDB test reviews)")
    return read_labeled(file, file_format, text_column, label_column, labels, rules, warn=log, task=task, separator=separator)


def _metrics_table(results: dict) -> str:
    lines = [f"{'backend':9} {'texts':>8} {'accuracy':>9} {'precision':>9} {'recall':>7} {'f1':>7} "
             f"{'ece':>7} {'nll':>7} {'brier':>7} {'saturated':>9}  confusion [[tn fp] [fn tp]]"]
    for name, m in results.items():
        lines.append(
            f"{name:9} {m['texts']:>8} {m['accuracy']:>9.4f} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} "
            f"{m['ece']:>7.4f} {m['nll']:>7.4f} {m['brier']:>7.4f} {m['saturated']:>9.4f}  {m['confusion_matrix']}"
        )
    return "\n".join(lines)


def _length_table(results: dict) -> str:
    buckets = next(iter(results.values()))["by_length"] if results else {}
    lines = [f"{'tokens':9} " + " ".join(f"{name + ' (' + str(b['texts']) + ')':>22}" for name, b in buckets.items()),
             f"{'backend':9} " + " ".join(f"{'accuracy / ece':>22}" for _ in buckets)]
    for name, m in results.items():
        lines.append(f"{name:9} " + " ".join(
            f"{'-':>22}" if b["accuracy"] is None else f"{b['accuracy']:>13.4f} / {b['ece']:.4f}" for b in m["by_length"].values()
        ))
    return "\n".join(lines)


@app.command(epilog=EXIT_STATUS)
def info(
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON.")] = False,
) -> None:
    """Show what a bundle's manifest says: preprocessing, files, training, test metrics."""
    from .bundle import load_bundle
    from .manifest import TRAINING_ONLY_FILES

    bundle = load_bundle(model)
    m = bundle.manifest
    if as_json:
        write_lines([json.dumps(m.to_dict(), indent=2, ensure_ascii=False)])
        return
    pre, record = m.preprocessing, m.model
    fitted = list(m.training.fitted_to_data) if m.training else []
    lines = [
        f"bundle      {bundle.path}",
        f"name        {m.name}  (format {m.format_version}"
        + (f", upgraded from {m.read_from_version}" if m.read_from_version != m.format_version else "")
        + f", created {m.created})",
        _labels_line(bundle.manifest),
        f"input       {pre.maxlen} ids (tokenizer {pre.tokenizer}), num_words {pre.num_words}, skip_top {pre.skip_top}, "
        f"padding {pre.padding}, truncating {pre.truncating}, drop_special {pre.drop_special}"
        + (f" ({', '.join(fitted)} fitted to the training data)" if fitted else "")
        + (f"; subwords: character {pre.subwords.min_n}-{pre.subwords.max_n}-grams in {pre.subwords.buckets:,} "
           f"buckets, {pre.subwords.slots} per text" if pre.subwords else ""),
        f"model       {_describe_model(record, m.training)}",
        f"parameters  {record.parameters:,}" if record.parameters is not None else "parameters  (not recorded)",
    ]
    test_metrics = m.metrics.test if m.metrics else {}
    key_width = max(map(len, [*m.files, *test_metrics]), default=7)
    path_width = max((len(v.path) for v in m.files.values()), default=14)
    lines += [
        f"file        {k:{key_width}} {v.path:{path_width}} {(v.bytes or 0) / 1e6:6.2f} MB  sha256 {v.sha256[:16]}…"
        + ("" if os.path.lexists(bundle.path / v.path) else "  (absent here: " + (
            "the training stage's file, not installed with the package)" if k in TRAINING_ONLY_FILES else "missing)"))
        for k, v in m.files.items()
    ]
    for name, metrics in test_metrics.items():
        lines.append(f"test        {name:{key_width}} accuracy {metrics.accuracy:.4f} on {metrics.texts} texts")
    held_out = m.metrics.held_out if m.metrics else None
    if held_out is not None:
        lines.append(f"held out    accuracy {held_out.accuracy:.4f} on {held_out.texts} texts, before the model "
                     "was refit on them with the rest of the training rows")
    if m.training and m.training.command:
        lines.append(f"trained by  {m.training.command}")
    write_lines(lines)


def _describe_model(model, training) -> str:
    """One line from the manifest's model record (and its training report: whether the RNN was kept)."""
    from .architectures import architecture

    rnn_phase = training.raw.get("rnn_phase") if training else None
    return architecture(model).describe(model, reads_rnn=not (isinstance(rnn_phase, dict) and rnn_phase.get("kept") == "bag"))


@app.command(epilog=EXIT_STATUS)
def verify(
    model: ModelOption = None,
    backend: Annotated[
        str, typer.Option(help="onnx, tflite, numpy, onnx-int8, or all: every backend the bundle has files for and "
                          "this installation can run (the ones skipped are named).")
    ] = "all",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per check and line.")] = False,
) -> None:
    """Check a bundle: every file against its sha256, then every conformance case
    (conformance.jsonl) through the tokenizer, the encoder and each backend.

    Proves that the files are the ones the manifest lists, that the conformance file holds
    the specification's edge cases and the manifest's label names, and that this
    installation reproduces every case: tokens and ids exactly, scores within the
    specification's tolerance (docs/bundle-format.md, "Conformance"). Prints one line per
    check (cases, failures, max score difference), then exits 1 naming every check that failed.
    """
    from .backends import BACKENDS, available_backends, load_backend
    from .bundle import load_bundle
    from .conformance import FILE_KEY
    from .verify import verify as run_cases
    from .manifest import TRAINING_ONLY_FILES

    if backend != "all" and backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}, all")
    bundle = load_bundle(model)
    checked = 0
    for key, entry in bundle.manifest.files.items():
        if key in TRAINING_ONLY_FILES and not (bundle.path / entry.path).exists():
            continue  # not shipped in the installed package
        bundle.file(key)  # raises on a missing, resized or changed file
        checked += 1
    if FILE_KEY not in bundle.manifest.files:
        raise EdgeSentimentError(f"{bundle.path} has no conformance vectors (conformance.jsonl); re-export it with this "
                                 "edge-sentiment, or upgrade it: python -m edge_sentiment_export.upgrade BUNDLE --data DATA")
    available = available_backends(bundle)
    if backend != "all" and backend not in available:
        raise UsageError(f"{bundle.path} has no {backend} model; its backends: {', '.join(available)}")
    backends = []
    for name in available if backend == "all" else [backend]:
        try:
            load_backend(name, bundle)
        except BackendUnavailableError as exc:
            if backend != "all":
                raise
            log(f"skipped {name}: {exc}")
            continue
        except BundleError:
            pass  # reported as this backend's check by run_cases
        backends.append(name)
    results = run_cases(bundle, backends)
    if as_json:
        write_lines([json.dumps({"check": r.check, "cases": r.cases, "failures": r.failures, "max_abs_diff": r.max_abs_diff,
                                 "first_failure": r.first_failure, "error": r.error}, ensure_ascii=False)
                     for r in results])
    else:
        write_lines([f"{bundle.path}: {checked} files match their sha256"] + [_check_line(r) for r in results])
    failed = [r for r in results if r.failed]
    for result in failed:
        log(f"error: {_check_failure(result)}")
    if failed:
        raise EdgeSentimentError(f"{bundle.path} failed {len(failed)} check(s): {', '.join(r.check for r in failed)}")


def _check_line(result) -> str:
    if result.error is not None:
        return f"{result.check:18} FAILED to load (see below)"
    diff = f"  max |score diff| {result.max_abs_diff:.1e}" if result.check not in NON_SCORE_CHECKS else ""
    return f"{result.check:18} {result.cases:5} cases  {result.failures:4} failures{diff}"


#: verify's checks that compare no scores.
NON_SCORE_CHECKS = ("edge cases", "labels", "tokens", "ids")


def _check_failure(result) -> str:
    if result.error is not None:
        return f"{result.check}: {result.error}"
    case = result.first_failure
    return (f"{result.check}: {result.failures} of {result.cases} cases differ; first: case {case['case']} "
            f"({case['category']}) {json.dumps(case['text'][:80])}: expected {json.dumps(case['expected'])[:200]}, "
            f"got {json.dumps(case['got'])[:200]}")


@app.command(epilog=EXIT_STATUS)
def explain(
    texts: Annotated[Optional[list[str]], typer.Argument(help="Texts to explain.", show_default=False)] = None,
    file: Annotated[Optional[str], typer.Option("--file", "-f", help="Explain each line of a UTF-8 file ('-' reads standard input).")] = None,
    top: Annotated[int, typer.Option("--top", "-k", min=0, help="How many of the strongest words to list per text.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per text: text, label, score, logit, base, "
                                          "tokens (token, start, end, contribution).")] = False,
    html_file: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML page showing every text "
                                                      "coloured by contribution.")] = None,
    model: ModelOption = None,
    threshold: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="Score at or above which a text is positive "
                         "(two labels; default 0.5).")] = None,
    label: Annotated[Optional[str], typer.Option(help="More than two labels: the label whose score to explain (default: "
                                                 "each text's predicted label).")] = None,
) -> None:
    """Show which words drove each score: every kept word's contribution to the logit,
    red (toward the negative class) to green (toward the positive class); with more labels,
    toward (green) or away from (red) the explained label.

    logit = base + the sum of the contributions, where base is the logit of the empty text,
    and score = sigmoid(logit), the score 'predict' gives (more labels: that label's logit;
    softmax over every label's logit for exclusive labels). Word and word-pair terms are split
    exactly; the RNN and dense layers by integrated gradients (see docs/explain.md).
    """
    if texts and file:
        raise UsageError("give texts as arguments or --file, not both")
    if not texts and file is None:
        raise UsageError("nothing to explain: give a text (edge-sentiment explain \"not bad at all\") or --file PATH")
    if html_file is not None and html_file.is_dir():
        raise UsageError(f"--html {html_file} is a directory; name the page to write, e.g. --html explain.html")
    if html_file is not None and file not in (None, "-") and _same_file(html_file, Path(file)):
        raise UsageError(f"--html {html_file} is the input file; name another page to write, e.g. --html explain.html")
    from .classifier import SentimentClassifier
    from .explain_output import as_json as json_line, html_page, terminal_lines

    classifier = SentimentClassifier.load(model, threshold=threshold)
    if label is not None and label not in classifier.labels:
        raise UsageError(f"--label {label!r} is not a label of this model; its labels: {', '.join(classifier.labels)}")
    if label is not None and classifier.task == "binary":
        raise UsageError("--label is for bundles of more than two labels; a binary bundle explains P(positive), "
                         f"{classifier.labels[1]!r}, whichever label a text gets")
    poles = (f"toward {classifier.labels[0]}", f"toward {classifier.labels[1]}") if classifier.task == "binary" else (
        "away from the explained label", "toward the explained label")
    lines = LineReader(file, "stop", warn=log, offer_on_error=False) if file is not None else texts or []
    explanations = []
    for text in lines:
        explanation = classifier.explain(text, label)
        if html_file is not None:
            explanations.append(explanation)
        if as_json:
            write_lines([json_line(explanation)])
        else:
            _print_rich(terminal_lines(explanation, top, poles))
    if html_file is not None:
        write_file(html_file, html_page(explanations, poles, top))
        log(f"wrote {html_file} ({len(explanations)} text{'s' if len(explanations) != 1 else ''})")


def _labels_line(manifest) -> str:
    """``info``'s line about the labels and what the scores mean."""
    labels = manifest.labels
    if manifest.task == "binary":
        return f"labels      {labels[0]!r} (negative class), {labels[1]!r} (positive class: score is its probability)"
    shown = ", ".join(map(repr, labels[:12])) + (f" and {len(labels) - 12} more" if len(labels) > 12 else "")
    if manifest.task == "multiclass":
        return f"labels      {len(labels)}, one per text (multiclass; scores sum to 1): {shown}"
    return (f"labels      {len(labels)}, any number per text (multilabel; a probability and a threshold per label): "
            f"{shown}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return a.resolve() == b.resolve()


def _print_rich(renderables) -> None:
    """Colours on a terminal, plain text in a pipe (rich decides from the stream)."""
    from rich.console import Console

    console = Console(file=stdout(), highlight=False, soft_wrap=True)
    for renderable in renderables:
        console.print(renderable)


@app.command(epilog="Exit status: 0 stopped by SIGTERM or Ctrl-C (after finishing the requests in flight); 1 the bundle "
             "does not load, the address cannot be bound or the 'serve' extra is missing; 2 the command line is wrong.")
def serve(
    model: ModelOption = None,
    backend: BackendOption = "onnx",
    host: Annotated[str, typer.Option(help="Address to listen on. The default answers this machine only; "
                                      "0.0.0.0 answers every network (put a proxy with TLS in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on; 0 picks a free one (printed at start).")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Server processes, each with its own copy of the model "
                                         "(about one per core; memory grows with each).")] = 1,
    max_body: Annotated[int, typer.Option(min=1, help="Largest request body in bytes; larger ones get 413.")] = 4 * 1024 * 1024,
    max_texts: Annotated[int, typer.Option(min=1, help="Most texts in one request; more get 413.")] = 1000,
    batch_texts: Annotated[int, typer.Option(min=1, help="Micro-batching: texts of concurrent requests scored "
                                             "together, at most (about).")] = 256,
    batch_wait_ms: Annotated[float, typer.Option(min=0.0, help="Micro-batching: how long a request waits for others "
                                                 "to join its batch, in milliseconds. 0: a batch is what queued while the previous one was scored.")] = 0.0,
    max_queued: Annotated[int, typer.Option(min=1, help="Texts waiting to be scored at most; a request that would "
                                            "pass it gets 503 (the server is overloaded).")] = 20_000,
    timeout: Annotated[float, typer.Option(min=0.001, help="Seconds a request may wait for its scores (504 after).")] = 30.0,
    read_timeout: Annotated[float, typer.Option(min=0.001, help="Seconds a client may take to send a request body "
                                                "(408 after), and a new connection its first request head (closed after).")] = 10.0,
    shutdown_timeout: Annotated[float, typer.Option(min=0.0, help="On SIGTERM: seconds to finish the requests in "
                                                    "flight before they are cancelled.")] = 20.0,
    max_connections: Annotated[int, typer.Option(min=1, help="Open connections at most (per worker); more get 503.")] = 1000,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
) -> None:
    """Serve the model over HTTP: POST /v1/predict, POST /v1/explain, GET /v1/model, /healthz, /readyz,
    /metrics (Prometheus) and /openapi.json. Needs the 'serve' extra: pip install 'edge-sentiment[serve]'.
    Concurrent requests are scored together (micro-batching). SIGTERM or Ctrl-C: stop accepting, finish the
    requests in flight, exit 0. See docs/serving.md."""
    from .server import ServeSettings, serve as run_server

    run_server(ServeSettings(
        model=None if model is None else str(model), backend=backend, host=host, port=port, workers=workers,
        max_body_bytes=max_body, max_texts=max_texts, batch_texts=batch_texts, batch_wait_ms=batch_wait_ms,
        max_queued_texts=max_queued,
        timeout=timeout, read_timeout=read_timeout, shutdown_timeout=shutdown_timeout, max_connections=max_connections,
        access_log=access_log,
    ), announce=log)


@app.command(epilog=EXIT_STATUS)
def presets() -> None:
    """List the named training presets for 'edge-sentiment export --preset'."""
    from edge_sentiment_export import config as config_module

    write_lines([f"{name:21} {cfg.describe()}\n{'':21} from: {cfg.seed_model}" for name, cfg in config_module.PRESETS.items()])


def main() -> None:
    """Entry point: every failure becomes one line on stderr and the exit status of EXIT_STATUS."""
    install_interrupt_handler()
    status = _run()
    if interrupted():
        _exit_now(interrupted_status())
    sys.exit(status)


def _exit_now(status: int) -> None:
    """Stop at once after a stop signal, with every line written out: Python's own exit would wait
    for worker processes that the same signal may have killed mid-reply (concurrent.futures then
    waits forever for the rest of the reply). The workers exit with this process."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


#: Options given once per value; click reads the value after the first as a stray argument.
REPEATED_OPTIONS = ("--label-map", "--drop-label")


def _repeat_hint(args: list[str]) -> str | None:
    """For ``--label-map A B`` (two values after one option, as other tools take them): how to
    write it, with the option repeated before each value; None if that is not what went wrong."""
    for i, arg in enumerate(args[:-2]):
        values = list(itertools.takewhile(lambda a: not a.startswith("-"), args[i + 1:]))
        if arg in REPEATED_OPTIONS and len(values) > 1:
            fixed = " ".join(f"{arg} {shlex.quote(value)}" for value in values)
            return f"{arg} takes one value; repeat it for each: {fixed}"
    return None


def _run() -> int:
    if sys.stdout is None:
        log("error: standard output is closed; redirect it to a file (> out.txt) or a pipe")
        return 1
    try:
        # Not standalone: parser errors (bad option values, unknown options) reach
        # us as exceptions, so they get the same one-line form as every other error.
        return app(prog_name="edge-sentiment", standalone_mode=False) or 0
    except TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # no command given: its message is the help
            write_lines([exc.format_message().rstrip()])
            return 2
        commands = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
        command = " ".join(["edge-sentiment", *[a for a in sys.argv[1:2] if a in commands]])
        hint = _repeat_hint(sys.argv[1:]) if "unexpected extra argument" in exc.format_message() else None
        log(f"error: {hint or exc.format_message()} (see '{command} --help')")
        return 2
    except UsageError as exc:
        log(f"error: {exc}")
        return 2
    except EdgeSentimentError as exc:
        if interrupted():  # e.g. workers stopped by the same SIGTERM: the stop is what happened
            return interrupted_status()
        log(f"error: {exc}")
        return 1
    except ValueError as exc:  # bad option values reaching the API (unknown backend, ...)
        log(f"error: {exc}")
        return 2
    except OutputClosed:  # e.g. `edge-sentiment predict -f big.txt | head`: the reader has all it wants
        silence_stdout()
        return 0
    except KeyboardInterrupt:
        return interrupted_status()
    except MemoryError:
        log("error: out of memory; score the input in parts, or use a machine with more memory")
        return 1
    except OSError as exc:  # a file or folder the command had to read or write (permission, disk full, ...)
        if interrupted():
            return interrupted_status()
        where = f" {exc.filename}" if exc.filename else ""
        log(f"error: cannot use{where}: {exc.strerror or exc}")
        return 1
    except Exception as exc:  # a bug: still one line, with the way to see the traceback
        if interrupted():  # e.g. an import broken into by Ctrl-C
            return interrupted_status()
        if os.environ.get("EDGE_SENTIMENT_DEBUG"):
            raise
        log(f"error: unexpected {type(exc).__name__}: {exc} (a bug; please report it, with the traceback "
            "that EDGE_SENTIMENT_DEBUG=1 shows)")
        return 1
