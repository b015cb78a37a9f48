"""The ``edge-sentiment`` command line (also ``python -m edge_sentiment``)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException

from .constants import DEFAULT_THRESHOLD
from .errors import EdgeSentimentError

app = typer.Typer(
    help="Movie-review sentiment on small devices: score text with the shipped model, "
    "retrain and export your own, evaluate and inspect bundles.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)

ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", "-m", help="Bundle directory (holds manifest.json). Default: the model shipped with the package."),
]
BackendOption = Annotated[
    str,
    typer.Option(
        help="Inference backend: onnx (default), tflite (needs the 'tflite' extra), numpy (pure NumPy, slower) "
        "or onnx-int8 (the quantized model, if the bundle was exported with --quantize)."
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        min=1,
        help="Processes that tokenize, for inputs of more than 4,096 reviews: 2 on a 2-core machine scored "
        "1.5-2x as many reviews per second. Tokenizing is pure Python, one core per process.",
    ),
]
LINES_PER_CHUNK = 1024


class UsageError(EdgeSentimentError):
    """A command line that cannot be carried out as given."""


@app.command()
def predict(
    texts: Annotated[Optional[list[str]], typer.Argument(help="Review texts to score, each one argument.", show_default=False)] = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file", "-f",
            help="Score a UTF-8 file with one review per line ('-' reads standard input). Line ends may be LF or "
            "CRLF; every line is scored, empty ones too, so output line N belongs to input line N. "
            "A line that is not valid UTF-8 stops the run with its line number.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Write JSON Lines: {"text", "label", "score"} per review.')] = False,
    model: ModelOption = None,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Score at or above which a review is positive.")] = DEFAULT_THRESHOLD,
    backend: BackendOption = "onnx",
    workers: WorkersOption = 1,
) -> None:
    """Score reviews: prints label, P(positive) and the text, one review per line."""
    if texts and file:
        raise UsageError("give texts as arguments or --file, not both")
    if not texts and file is None:
        raise UsageError("nothing to score: give a text (edge-sentiment predict \"great film\") or --file PATH ('-' for stdin)")
    from .classifier import SentimentClassifier

    with SentimentClassifier.load(model, backend=backend, threshold=threshold, workers=workers) as classifier:
        if file is None:
            _write_predictions(classifier, texts, as_json)
        else:
            _write_file_predictions(classifier, file, as_json)


def _write_file_predictions(classifier, file: str, as_json: bool) -> None:
    read = [0]  # bytes read so far, for the progress bar
    written = 0
    with _progress(file) as advance:
        # iter_predict reads ahead one window and scores it while the next is encoded.
        lines = []
        for text, prediction in classifier.iter_predict(_decoded_lines(file, read)):
            lines.append(_format(text, prediction.label, prediction.score, as_json))
            if len(lines) == LINES_PER_CHUNK:
                sys.stdout.write("\n".join(lines) + "\n")
                advance(len(lines), read[0] - written)
                written, lines = read[0], []
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            advance(len(lines), read[0] - written)


def _write_predictions(classifier, texts: list[str], as_json: bool) -> None:
    lines = [_format(t, p.label, p.score, as_json) for t, p in zip(texts, classifier.predict_batch(texts))]
    sys.stdout.write("\n".join(lines) + "\n")


def _format(text: str, label: str, score: float, as_json: bool) -> str:
    if as_json:
        return json.dumps({"text": text, "label": label, "score": round(score, 6)}, ensure_ascii=False)
    preview = " ".join(text.split())  # one output line per review, whatever the text holds
    preview = preview if len(preview) <= 70 else preview[:67] + "..."
    return f"{label}\t{score:.4f}\t{preview}"


def _decoded_lines(file: str, read: list[int]) -> Iterator[str]:
    """Decode ``file`` line by line, adding each line's size in bytes to ``read[0]``.

    Lines are read as they are needed, so memory stays flat however long the file is.
    """
    stream = sys.stdin.buffer if file == "-" else _open_binary(file)
    name = "standard input" if file == "-" else file
    with stream:
        for number, raw in enumerate(stream, start=1):
            read[0] += len(raw)
            yield _decode_line(raw, number, name)


@contextmanager
def _progress(file: str):
    """Yield ``advance(lines, nbytes)``; draws a progress bar only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda lines, nbytes: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    total = None if file == "-" else os.path.getsize(file)
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[lines]:,} reviews"), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as bar:
        task = bar.add_task("scoring", total=total, lines=0)
        done = 0

        def advance(lines: int, nbytes: int) -> None:
            nonlocal done
            done += lines
            bar.update(task, advance=nbytes, lines=done)

        yield advance


def _open_binary(file: str):
    try:
        return open(file, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None


def _decode_line(raw: bytes, number: int, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{name}, line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
            "convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8"
        ) from None
    return text.removesuffix("\n").removesuffix("\r")


@app.command()
def export(
    data: Annotated[
        Optional[Path],
        typer.Option(help="aclImdb source: the upstream aclImdb_v1.tar.gz, the labeled tarball, or an extracted folder."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory to write the bundle into.")] = Path("model"),
    preset: Annotated[str, typer.Option(help="Named training configuration (see 'edge-sentiment presets').")] = "default",
    epochs: Annotated[Optional[int], typer.Option(min=1, help="Override the preset's maximum number of epochs.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the preset's random seed.")] = None,
    train_limit: Annotated[Optional[int], typer.Option(min=2, help="Train on a seeded random sample of N reviews.")] = None,
    test_limit: Annotated[Optional[int], typer.Option(min=1, help="Evaluate and check parity on N test reviews.")] = None,
    download: Annotated[
        bool, typer.Option(help="Download the upstream tarball (sha256-checked) into --data's folder or ./data when missing.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty --out directory.")] = False,
    quantize: Annotated[
        bool, typer.Option(help="Also write model.int8.onnx (dynamic int8 quantization) with its own test accuracy.")
    ] = False,
) -> None:
    """Train on IMDB and export a checked bundle: ONNX, TFLite, Keras, vocab and manifest.

    Needs the training extra: pip install 'edge-sentiment[train]'. The bundle is only
    written if ONNX and TFLite agree with Keras within 1e-5 on the test reviews.
    """
    overrides = {k: v for k, v in {"epochs": epochs, "seed": seed, "train_limit": train_limit, "test_limit": test_limit}.items() if v is not None}
    from edge_sentiment_export import config as config_module, data as data_module  # TensorFlow-free
    from edge_sentiment_export.destination import check_destination

    try:
        config = config_module.get_preset(preset).with_overrides(**overrides)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    check_destination(out, overwrite)  # before minutes of reading data and importing TensorFlow
    source = _dataset_path(data, download, data_module)
    _log(f"reading {source}")
    dataset = data_module.load_imdb(source)
    exporter = _exporter_module()  # imports TensorFlow: only once the inputs are known to be good
    command = shlex.join(["edge-sentiment", *sys.argv[1:]])
    manifest = exporter.export_bundle(config, dataset, out, command=command, overwrite=overwrite, quantize=quantize, log=_log)
    _log(_export_summary(out, manifest))


def _exporter_module():
    # TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) says nothing a user can act on.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from edge_sentiment_export import exporter
    except ImportError as exc:
        raise UsageError(
            f"the export command needs the training extra ({exc.name} is missing): pip install 'edge-sentiment[train]'"
        ) from None
    return exporter


def _dataset_path(data: Optional[Path], download: bool, data_module) -> Path:
    if data is not None and (data.exists() or not download):
        return data
    if not download:
        raise UsageError("--data is required: the aclImdb tarball or folder (or add --download to fetch it)")
    folder = data.parent if data is not None else Path("data")
    _log(f"downloading {data_module.UPSTREAM_URL} into {folder} (checked against its sha256)")
    return data_module.download_imdb(folder)


def _export_summary(out: Path, manifest: dict) -> str:
    test, parity = manifest["metrics"]["test"], manifest["metrics"]["parity_vs_keras"]
    accuracy = ", ".join(f"{name} {m['accuracy']:.4f}" for name, m in test.items())
    diffs = ", ".join(f"{name} {p['max_abs_diff']:.1e}" for name, p in parity.items())
    sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.2f} MB" for k, v in manifest["files"].items())
    return (
        f"wrote {out} in {manifest['timings']['export_seconds']:.0f} s; test accuracy: {accuracy}; "
        f"max |diff| vs Keras: {diffs}; sizes: {sizes}"
    )


@app.command()
def evaluate(
    model: ModelOption = None,
    data: Annotated[
        Optional[Path], typer.Option(help="aclImdb tarball or folder: evaluate on all 25,000 test reviews.")
    ] = None,
    file: Annotated[
        Optional[Path],
        typer.Option("--file", "-f", help='Labeled JSON Lines file: {"text": ..., "label": "positive"|"negative"|1|0} per line.'),
    ] = None,
    backend: Annotated[str, typer.Option(help="onnx, tflite, numpy, onnx-int8, or all (every backend the bundle has files for).")] = "all",
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Decision threshold.")] = DEFAULT_THRESHOLD,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
    workers: WorkersOption = 1,
) -> None:
    """Accuracy, precision, recall, F1 and confusion matrix of a bundle on labeled reviews."""
    from .backends import available_backends
    from .bundle import load_bundle
    from .classifier import SentimentClassifier
    from .metrics import binary_metrics

    if (data is None) == (file is None):
        raise UsageError("give exactly one of --data (the aclImdb test split) or --file (labeled JSON Lines)")
    texts, labels = _labeled_reviews(data, file)
    if not texts:
        raise UsageError(f"{data or file} holds no labeled reviews to evaluate on")
    bundle = load_bundle(model)
    names = available_backends(bundle) if backend == "all" else [backend]
    results = {}
    for name in names:
        with SentimentClassifier(bundle, backend=name, threshold=threshold, workers=workers) as classifier:
            results[name] = binary_metrics(labels, classifier.predict_proba(texts), threshold)
    typer.echo(json.dumps(results, indent=2) if as_json else _metrics_table(results))


def _labeled_reviews(data: Optional[Path], file: Optional[Path]) -> tuple[list[str], list[int]]:
    if data is not None:
        from edge_sentiment_export.data import load_imdb  # TensorFlow-free module

        test = load_imdb(data, splits=("test",)).test
        return test.texts, test.labels
    texts, labels = [], []
    with _open_binary(str(file)) as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue  # blank lines separate nothing in JSON Lines; skipping them loses no review
            try:
                record = json.loads(_decode_line(raw, number, str(file)))
                texts.append(record["text"])
                labels.append(_label_value(record["label"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise UsageError(f"{file}, line {number}: expected {{\"text\": ..., \"label\": ...}} ({exc})") from None
    return texts, labels


def _label_value(label) -> int:
    mapping = {"negative": 0, "positive": 1, 0: 0, 1: 1}
    if isinstance(label, bool) or label not in mapping:
        raise ValueError(f"label {label!r} is not one of 'positive', 'negative', 1, 0")
    return mapping[label]


def _metrics_table(results: dict) -> str:
    lines = [f"{'backend':8} {'reviews':>8} {'accuracy':>9} {'precision':>9} {'recall':>7} {'f1':>7}  confusion [[tn fp] [fn tp]]"]
    for name, m in results.items():
        lines.append(
            f"{name:8} {m['reviews']:>8} {m['accuracy']:>9.4f} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f}  {m['confusion_matrix']}"
        )
    return "\n".join(lines)


@app.command()
def info(
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole manifest as JSON.")] = False,
) -> None:
    """Show what a bundle's manifest says: preprocessing, files, training, test metrics."""
    from .bundle import load_bundle

    bundle = load_bundle(model)
    m = bundle.manifest
    if as_json:
        typer.echo(json.dumps(m, indent=2, ensure_ascii=False))
        return
    pre = m["preprocessing"]
    lines = [
        f"bundle      {bundle.path}",
        f"name        {m.get('name')}  (format {m['format_version']}, created {m.get('created')})",
        f"input       {pre['maxlen']} ids, num_words {pre['num_words']}, skip_top {pre['skip_top']}, "
        f"padding {pre['padding']}, truncating {pre['truncating']}, drop_special {pre['drop_special']}",
        f"model       {_describe_model(m['model'])}",
        f"parameters  {m['model'].get('parameters')}",
    ]
    key_width = max(map(len, [*m["files"], *m.get("metrics", {}).get("test", {})]), default=7)
    path_width = max((len(v["path"]) for v in m["files"].values()), default=14)
    lines += [
        f"file        {k:{key_width}} {v['path']:{path_width}} {v.get('bytes', 0) / 1e6:6.2f} MB  sha256 {v['sha256'][:16]}…"
        for k, v in m["files"].items()
    ]
    for name, metrics in m.get("metrics", {}).get("test", {}).items():
        lines.append(f"test        {name:{key_width}} accuracy {metrics['accuracy']:.4f} on {metrics['reviews']} reviews")
    if "training" in m:
        lines.append(f"trained by  {m['training'].get('command')}")
    typer.echo("\n".join(lines))


def _describe_model(model: dict) -> str:
    """One line from the manifest's model record (older bundles lack the newer fields)."""
    if model.get("architecture") == "multi_hot_dense":
        return f"multi-hot({model.get('vocab_size')}) -> Dense {'-'.join(map(str, model.get('dense_units', [])))}-1"
    window = f" on the last {model['rnn_window']} steps" if model.get("rnn_window") else ""
    pairs = f" + {model['pair_buckets']} hashed word pairs x {model.get('pair_dim')}" if model.get("pair_buckets") else ""
    return (
        f"{model.get('input_encoding', 'embedding')}({model.get('vocab_size')}, {model.get('embedding_dim')}){pairs} -> "
        f"SimpleRNN({model.get('rnn_units')}){window}, head {model.get('head')}; "
        f"ONNX graph {model.get('onnx_graph', 'fused' if model.get('onnx_recurrent_op') == 'RNN' else 'as-converted')} "
        f"({model.get('onnx_recurrent_op')} op)"
        + (f"; one review per call: the single-review graph (>= {model['single_review']['min_steps']} ids)" if model.get("single_review") else "")
    )


@app.command()
def presets() -> None:
    """List the named training presets for 'edge-sentiment export --preset'."""
    from edge_sentiment_export import config as config_module

    for name, cfg in config_module.PRESETS.items():
        typer.echo(f"{name:21} {cfg.describe()}\n{'':21} from: {cfg.seed_model}")


def _log(message: str) -> None:
    typer.echo(message, err=True)


def main() -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit code."""
    try:
        # Not standalone: parser errors (bad option values, unknown options) reach
        # us as exceptions, so they get the same one-line form as every other error.
        sys.exit(app(standalone_mode=False) or 0)
    except TyperException as exc:
        commands = {c.name or c.callback.__name__ for c in app.registered_commands}
        command = " ".join(["edge-sentiment", *[a for a in sys.argv[1:2] if a in commands]])
        typer.echo(f"error: {exc.format_message()} (see '{command} --help')", err=True)
        sys.exit(exc.exit_code)
    except EdgeSentimentError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, UsageError) else 1)
    except ValueError as exc:  # bad option values reaching the API (unknown backend, ...)
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:  # e.g. `edge-sentiment predict -f big.txt | head`
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
