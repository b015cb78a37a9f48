"""``edge-sentiment export``: data -> vocab -> trained model -> checked bundle.

The bundle is assembled in a hidden staging folder beside ``out``, then loaded
back through the runtime's own loader and backends (exactly what users will
run) and compared with Keras. Only a bundle that agrees within
:data:`.parity.TOLERANCE` is moved to ``out``; otherwise nothing is written.
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from edge_sentiment import SentimentClassifier
from edge_sentiment.backends import available_backends, load_backend
from edge_sentiment.bundle import load_bundle, sha256_file, unprobed
from edge_sentiment.constants import (
    FIRST_WORD_ID, LABELS, MANIFEST_NAME, OOV_ID, PAD_ID, START_ID,
)
from edge_sentiment.conformance import FILE_KEY as CONFORMANCE_KEY, FILE_NAME as CONFORMANCE_NAME, ONE_PER_CALL, case_texts
from edge_sentiment.verify import write_cases
from edge_sentiment.manifest import FILE_NAMES, FORMAT_VERSION, Manifest
from edge_sentiment.encoding import Encoder
from edge_sentiment.metrics import binary_metrics, calibration_metrics, task_metrics
from edge_sentiment.tasks import targets

from .calibration import CALIBRATION_PLOT, UNBOUNDED, calibrate, fold_into, write_reliability_diagram
from .config import TrainingConfig
from .data import ImdbDataset, Split
from .destination import ExportError, check_destination, replace_with
from .int8 import describe as describe_int8, to_int8
from .architectures import architecture
from .layers import INPUT_NAME, OUTPUT_NAME, SUBWORDS_INPUT
from .model import numpy_weights
from .onnx_graphs import (
    ONNX_OPSET, ONNX_VARIANTS, accepts_trimmed_padding, onnx_variants, single_text, to_onnx, to_single_text_onnx,
    trims_subword_padding, with_fast_batch_ops,
)
from .parity import TOLERANCE, parity_failures, parity_report
from .thresholds import MIN_LABELS, MIN_POSITIVES, fit_thresholds
from .snippets import short_text_set, training_snippets
from .tflite import to_tflite
from .train import (
    BAG_CHOICES, CURVES_NAME, HISTORY_NAME, fit, fit_class_weight, refit, sample_indices, shown_value, training_phases,
    validation_indices, with_choice, write_history,
)
from .vocab import build_vocab, fit_to_data, fit_tokenizer, word_counts

FILES = {key: FILE_NAMES[key] for key in ("vocab", "onnx", "tflite", "numpy", "keras")}
#: Backends that must equal Keras within TOLERANCE; the int8 model is lossy by design
#: and is measured (accuracy, max diff) instead.
EXACT_BACKENDS = ("onnx", "tflite", "numpy")
INT8_FILE = ("onnx_int8", FILE_NAMES["onnx_int8"])
SINGLE_TEXT_FILE = ("onnx_single", FILE_NAMES["onnx_single"])
INT8_BACKEND = "onnx-int8"
VERSIONED_PACKAGES = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert", "numpy")


@contextlib.contextmanager
def no_progress(description: str, total: int):
    """The default ``progress`` of :func:`export_bundle`: draws nothing."""
    yield lambda n: None


def export_bundle(
    config: TrainingConfig,
    data: ImdbDataset,
    out: Path,
    command: str,
    overwrite: bool = False,
    quantize: bool = False,
    log: Callable[[str], None] = print,
    progress: Callable = no_progress,
    fitted_settings: tuple[str, ...] = (),
) -> dict:
    """Train per ``config`` on ``data``, write a verified bundle to ``out``; returns its manifest.

    ``fitted_settings`` names the settings (of :data:`.vocab.FITTABLE`) to fit to the training texts.

    ``progress(description, total)`` is a context manager yielding ``advance(n)``
    (e.g. :func:`edge_sentiment.cli_output.progress`) for the long checks.
    """
    out = Path(out).expanduser().resolve()
    check_destination(out, overwrite, log)
    started = time.monotonic()
    labels = tuple(getattr(data, "labels", LABELS))
    config = config.with_overrides(task=getattr(data, "task", "binary"), num_labels=len(labels))
    task = config.task
    train, test = _limited(data.train, config.train_limit, config.seed), _limited(data.test, config.test_limit, config.seed)
    fitted = {}
    if "tokenizer" in fitted_settings:
        config, fitted["tokenizer"] = fit_tokenizer(config, train.texts)
    counts, lengths = word_counts(train.texts, config.tokenizer)
    config, fitted_more = fit_to_data(config, counts, lengths, fitted_settings, train.texts)
    fitted.update(fitted_more)
    for name, record in fitted.items():
        log(f"{name} {record['value']}: {record['rule']}")
    log(f"building vocabulary from {len(train):,} training texts (num_words={config.num_words})")
    vocab = build_vocab(counts, config.num_words)
    encoder = Encoder(vocab, config.encoding())
    fit_set, val_set, val_texts = _training_sets(config, train, log, getattr(data, "validation", None))
    x_fit, y_fit = encoder.encode(fit_set.texts), targets(fit_set.labels, task, len(labels))
    x_val, y_val = encoder.encode(val_set.texts), targets(val_set.labels, task, len(labels))
    x_test, y_test = encoder.encode(test.texts), targets(test.labels, task, len(labels))
    if task == "binary":
        y_test = y_test.astype(np.int64)

    log(f"training preset {config.preset!r} ({training_phases(config)}, early stopping on val_loss)")
    train_started = time.monotonic()
    choose = tuple(name for name in BAG_CHOICES
                   if name in fitted_settings and (name != "subwords" or _subwords_to_choose(config, fitted)))
    if "class_weight" in fitted_settings:
        model, history, config, fitted["class_weight"] = fit_class_weight(config, x_fit, y_fit, (x_val, y_val), log,
                                                                          choose=choose)
        record = fitted["class_weight"]
        shown = {name: record[name] for name in ("validation_accuracy", "validation_macro_f1", "gain_t") if name in record}
        log(f"class_weight {config.class_weight}: {record['rule']}" + (f" {shown}" if shown else ""))
    else:
        model, history = fit(config, x_fit, y_fit, validation=(x_val, y_val), choose=choose)
    for name in (name for name in BAG_CHOICES if name in history):
        choice = history.pop(name)
        config = with_choice(config, name, choice["value"])
        log(f"{name} {shown_value(choice['value'])}: {choice['rule']} {choice['validation_loss']}")
        fitted[name] = _with_subword_choice(fitted[name], choice) if name == "subwords" else choice
    if encoder.config.subwords is not None and not config.has_subwords:  # left out: the rows lose their subword slots
        encoder = Encoder(vocab, config.encoding())
        x_fit, x_val, x_test = (x[:, : config.width] for x in (x_fit, x_val, x_test))
    calibration = calibrate(model, config.calibration, x_val, y_val, task, labels) if config.calibration != "none" else None
    if calibration is not None:
        record = calibration.record
        change = f"validation ECE {record['before']['ece']:.4f} -> {record['fitted']['ece']:.4f}"
        if record["kept"].startswith("calibrated"):
            log(f"calibrated ({config.calibration}): {change}, NLL {record['before']['nll']:.4f} -> {record['after']['nll']:.4f}")
        elif record["kept"] == UNBOUNDED:
            log(f"not calibrated: the logits separate the validation labels perfectly, so {config.calibration} scaling has no "
                "finite fit; the scores are kept as trained")
        else:
            log(f"not calibrated: {config.calibration} scaling would make {change}; the scores are kept as trained")
    thresholds = None
    if task == "multilabel":
        thresholds, history["thresholds"] = fit_thresholds(model.predict(x_val, batch_size=1024, verbose=0), y_val, MIN_LABELS)
        fitted = history["thresholds"]
        log(f"decision thresholds fitted on validation: micro-F1 {fitted['validation_micro_f1_at_0.5']:.4f} at 0.5 -> "
            f"{fitted['validation_micro_f1']:.4f}; {fitted['labels_fitted_one_by_one']} of {len(thresholds)} labels fitted one by "
            f"one, the rest (held by fewer than {MIN_POSITIVES} validation texts) keep the common one")
    decide_at = thresholds if thresholds is not None else 0.5
    if task == "binary":  # (the yardstick is made of binary sentiment sentences)
        history["validation_short_texts"] = _keras_short_text_metrics(model, encoder, val_texts, config.seed)
    held_out = None
    if config.refit:
        rows = [(x_fit, y_fit), (x_val, y_val)]
        if getattr(data, "test_carved", False):  # the test rows are the user's training rows too
            held_out = _held_out_figures(model, config, x_test, y_test, labels, decide_at, encoder, test)
            rows.append((x_test, y_test))
        x_all, y_all = np.concatenate([x for x, _ in rows]), np.concatenate([y.astype(y_fit.dtype) for _, y in rows])
        log(f"refitting: a fresh model on all {len(x_all):,} training rows, for the epochs chosen on validation")
        model, history["refit"] = refit(config, history, x_all, y_all)
        if calibration is not None and calibration.applied is not None:
            fold_into(model, calibration.applied)  # (as fitted on the validation rows, before the refit)
    train_seconds = time.monotonic() - train_started

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise ExportError(f"cannot write {exc.filename or out.parent}: {exc.strerror}; nothing was written") from None
    staging.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be shared
    try:
        log("writing vocab.json, model.keras, model.tflite (builtin ops), weights.npz")
        common = _write_common_files(staging, vocab, model, config, history)
        if calibration is not None:
            write_reliability_diagram(calibration, staging / CALIBRATION_PLOT,
                                      f"preset {config.preset!r}: validation, {len(y_val)} rows")
        keras_scores = model.predict(x_test, batch_size=1024, verbose=0)
        variants = onnx_variants(config)
        for variant in variants:
            log(f"writing model.onnx ({ONNX_VARIANTS[variant]})")
            files = {**common, **_write_onnx_files(staging, model, config, variant, quantize)}
            manifest = _manifest(config, data, model, history, command, train_seconds, variant, labels, thresholds)
            if fitted:
                manifest["training"]["fitted_to_data"] = fitted
            _write_manifest(staging, manifest, files)

            log(f"checking Keras vs ONNX vs TFLite vs NumPy on {len(x_test):,} test texts (tolerance {TOLERANCE:g})")
            scores = _bundle_scores(unprobed(load_bundle(staging)), x_test, quantize, log, progress)
            parity = parity_report(keras_scores, scores, task)
            failures = parity_failures({name: parity[name] for name in scores if name != INT8_BACKEND})
            if not failures:
                break
            if variant != variants[-1] and failures == parity_failures({"onnx": parity["onnx"]}):
                # onnxruntime's RNN kernel sums in another order than TF; on a
                # recurrence that amplifies (spectral radius > 1) that can exceed the
                # tolerance. The next variant keeps more of TF's op order.
                log(f"{variant} ONNX graph: {failures[0]}; trying the next one")
                continue
            raise ExportError("exported files disagree with Keras, no bundle written: " + "; ".join(failures))

        figures = {name: task_metrics(task, y_test, s, labels, decide_at, MIN_LABELS) for name, s in scores.items()}
        if held_out is None:
            manifest["metrics"] = {"test": figures, "parity_vs_keras": parity}
            if task == "binary":
                manifest["metrics"]["short_texts"] = _short_text_metrics(unprobed(load_bundle(staging)), test, config.seed)
        else:  # (the figures above are of rows the refit model learnt from: not reported as test figures)
            manifest["metrics"] = {"held_out": held_out, "parity_vs_keras": parity}
        if calibration is not None:
            manifest["calibration"] = calibration.record
        if quantize:
            manifest["quantization"] = _quantization_record(manifest, figures, files, staging, trained_on_test=held_out is not None)
        files[CONFORMANCE_KEY] = _write_conformance(staging, test, config, log)
        manifest["timings"]["export_seconds"] = round(time.monotonic() - started, 1)
        _write_manifest(staging, manifest, files)
        replace_with(out, staging, overwrite)
    except OSError as exc:  # disk full, permissions changed meanwhile, ...
        raise ExportError(f"cannot write {exc.filename or staging}: {exc.strerror}; {out} was left as it was") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


#: What the figures of ``metrics.held_out`` are of.
HELD_OUT_MODEL = ("the model trained before the refit, with the same settings, on the rows that exclude these "
                  "(Keras scores; every exported form equals them within the parity tolerance)")


def _held_out_figures(model, config: TrainingConfig, x_test, y_test, labels, decide_at, encoder: Encoder, test: Split) -> dict:
    """The test carve's figures before the model learns from it: how well models trained with
    these settings do on texts they have not seen (the manifest's ``metrics.held_out``)."""
    scores = model.predict(x_test, batch_size=1024, verbose=0)
    figures = {"model": HELD_OUT_MODEL, **task_metrics(config.task, y_test, scores, labels, decide_at, MIN_LABELS)}
    if config.task == "binary":
        figures["short_texts"] = _keras_short_text_metrics(model, encoder, test, config.seed)
    return figures


def _subwords_to_choose(config: TrainingConfig, fitted: dict) -> bool:
    """Whether the bag phase chooses on validation to leave the subwords out: where the rule turned
    them on by itself (a range asked for is kept)."""
    return config.has_subwords and "subwords" in fitted and not fitted["subwords"]["asked"]


def _with_subword_choice(rule: dict, choice: dict) -> dict:
    """The subword rule's record (n-gram lengths, buckets, slots) with the bag phase's choice."""
    return {**rule, **choice, "value": rule["value"] if choice["value"] == "on" else "off",
            "rule": f"{rule['rule']}; {choice['rule']}"}


def _training_sets(config: TrainingConfig, train: Split, log, validation: Split | None = None) -> tuple[Split, Split, Split]:
    """``(fit, validation, validation texts)``: the given validation split, or the texts
    split as ``fit`` always split them (a seeded shuffle, the validation fraction carved off),
    each side with its own texts' sentences added when ``config.short_snippets`` asks for them."""
    if validation is None:
        fit_rows, val_rows = validation_indices(len(train), config.validation_fraction, config.seed)
        fit_texts, val_texts = train.subset(fit_rows), train.subset(val_rows)
    else:
        fit_texts, val_texts = train, validation
    if not config.short_snippets:
        return fit_texts, val_texts, val_texts
    extra = [training_snippets(part, config.short_snippets, config.snippet_max_tokens, config.seed + k)
             for k, part in enumerate((fit_texts, val_texts))]
    log(f"adding {len(extra[0].texts):,} + {len(extra[1].texts):,} sentences of training + validation texts "
        f"(up to {config.short_snippets} per text, 2 to {config.snippet_max_tokens} tokens)")
    return fit_texts + extra[0], val_texts + extra[1], val_texts


#: Size of the short-text yardsticks (first and last sentences of texts, export/snippets.py).
SHORT_TEXT_SET_SIZE = 5000


def _keras_short_text_metrics(model, encoder: Encoder, texts: Split, seed: int) -> dict | None:
    """The short-text yardstick made from validation texts, scored by Keras (used to choose
    settings); None when no text has a sentence of 3 to 25 tokens."""
    short = short_text_set(texts, SHORT_TEXT_SET_SIZE, seed)
    if not short.texts:
        return None
    scores = model.predict(encoder.encode(short.texts), batch_size=1024, verbose=0).reshape(-1)
    return {**binary_metrics(short.labels, scores), **calibration_metrics(short.labels, scores)}


def _short_text_metrics(bundle, test: Split, seed: int) -> dict | None:
    """The short-text yardstick made from test texts, scored by the bundle's onnx backend (None as above)."""
    from edge_sentiment.classifier import SentimentClassifier

    short = short_text_set(test, SHORT_TEXT_SET_SIZE, seed)
    if not short.texts:
        return None
    scores = SentimentClassifier(bundle).predict_proba(short.texts)
    return {
        "made_from": f"first and last sentences (3-25 tokens) of test texts, {len(short.texts)} sampled with seed {seed}",
        **binary_metrics(short.labels, scores),
        **calibration_metrics(short.labels, scores),
    }


def _write_conformance(folder: Path, test: Split, config: TrainingConfig, log) -> str:
    """Write conformance.jsonl (edge_sentiment/conformance.py) from the staged bundle; returns its name."""
    bundle = unprobed(load_bundle(folder))
    cases = case_texts(test.texts, config.maxlen, seed=config.seed)
    log(f"writing {CONFORMANCE_NAME}: {len(cases)} cases (edge cases, short phrases, test texts)")
    write_cases(bundle, cases, folder / CONFORMANCE_NAME, available_backends(bundle))
    return CONFORMANCE_NAME


def _limited(split: Split, limit: int | None, seed: int) -> Split:
    return split.subset(sample_indices(len(split), limit, seed))


def _write_common_files(folder: Path, vocab: dict, model, config: TrainingConfig, history: dict) -> dict:
    """Write every file but the ONNX ones; returns their ``files`` key -> file name map."""
    (folder / FILES["vocab"]).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    model.save(folder / FILES["keras"])
    to_tflite(model, config, folder / FILES["tflite"])
    np.savez(folder / FILES["numpy"], **numpy_weights(model, config))
    write_history(history, folder, title=f"preset {config.preset!r}: {config.describe()}")
    return {key: name for key, name in FILES.items() if key != "onnx"}


def _write_onnx_files(folder: Path, model, config: TrainingConfig, variant: str, quantize: bool) -> dict:
    """Write model.onnx (and model.int8.onnx when quantizing); returns their ``files`` entries."""
    to_onnx(model, config, folder / FILES["onnx"], variant=variant)
    files = {"onnx": FILES["onnx"]}
    if single_text.supports(config):
        key, name = SINGLE_TEXT_FILE
        to_single_text_onnx(model, config, folder / name)
        files[key] = name
    if quantize:
        key, name = INT8_FILE
        to_int8(folder / FILES["onnx"], folder / name)
        files[key] = name
    with_fast_batch_ops(folder / FILES["onnx"], config)  # (after the int8 copy: the quantizer knows Gather's tables)
    return files


def _quantization_record(manifest: dict, figures: dict[str, dict], files: dict, folder: Path, trained_on_test: bool) -> dict:
    sizes = {key: (manifest["files"][key]["bytes"]) for key in ("onnx", INT8_FILE[0])}
    return {
        "method": describe_int8(folder / files[INT8_FILE[0]]),
        "file": files[INT8_FILE[0]],
        "accuracy_loss_points": round(100 * (figures["onnx"]["accuracy"] - figures[INT8_BACKEND]["accuracy"]), 3),
        "measured_on": "the test rows" + (", which the refit model was trained on" if trained_on_test else ""),
        "size_ratio": round(sizes[INT8_FILE[0]] / sizes["onnx"], 4),
    }


def _bundle_scores(bundle, ids: np.ndarray, quantize: bool, log: Callable[[str], None], progress) -> dict[str, np.ndarray]:
    """Every backend's scores on ``ids``, loaded from the staged bundle as users will load it.
    All but int8 must equal Keras; ``ONE_PER_CALL`` is the onnx backend one text per call
    (the single-text graph), when the bundle has that graph."""
    backends = EXACT_BACKENDS + ((INT8_BACKEND,) if quantize else ())
    scores = {name: _run_batched(load_backend(name, bundle), ids) for name in backends}
    if SINGLE_TEXT_FILE[0] in bundle.manifest.files:
        log(f"checking the single-text graph: {len(ids):,} calls of one text")
        with progress("one text per call", len(ids)) as advance:
            with SentimentClassifier(bundle) as classifier:
                scores[ONE_PER_CALL] = _run_one_per_call(classifier._score_ids, ids, bundle.io.outputs, advance)
    return scores


def _run_batched(predict, ids: np.ndarray, size: int = 2048) -> np.ndarray:
    return np.concatenate([predict(ids[i : i + size]) for i in range(0, len(ids), size)])


def _run_one_per_call(predict, ids: np.ndarray, outputs: int, advance: Callable[[int], None], step: int = 1000) -> np.ndarray:
    scores = np.empty((len(ids), outputs), dtype=np.float32)
    for i in range(len(ids)):
        scores[i] = predict(ids[i : i + 1])[0]
        if (i + 1) % step == 0:
            advance(step)
    return scores



def _manifest(
    config: TrainingConfig, data: ImdbDataset, model, history: dict, command: str, train_seconds: float, variant: str,
    labels: tuple[str, ...], thresholds: list[float] | None,
) -> dict:
    meaning = {"binary": f"P({labels[-1]})", "multiclass": "each label's probability (softmax, labels order)",
               "multilabel": "each label's probability (independent sigmoids, labels order)"}[config.task]
    return {
        "format_version": FORMAT_VERSION,
        "name": config.preset,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": list(labels),
        "task": config.task,
        **({"thresholds": thresholds, "min_labels": MIN_LABELS} if thresholds is not None else {}),
        "preprocessing": {
            "pad_id": PAD_ID,
            "start_id": START_ID,
            "oov_id": OOV_ID,
            "first_word_id": FIRST_WORD_ID,
            **config.encoding().to_dict(),
        },
        "model": {
            "input": {
                "name": INPUT_NAME,
                "dtype": "int32",
                "shape": [None, config.width],
                # The ONNX model also takes [batch, T <= maxlen]: the last T columns of
                # pre-padded rows whose first maxlen - T columns are padding in every row.
                "onnx_trims_leading_padding": variant != "as-converted" and accepts_trimmed_padding(config),
                # With subwords: the leading subword columns that are padding in every row may be cut.
                **({"onnx_trims_subword_padding": True} if trims_subword_padding(config, variant) else {}),
            },
            "output": {"name": OUTPUT_NAME, "dtype": "float32", "shape": [None, config.outputs], "meaning": meaning},
            "vocab_size": config.num_words,
            "parameters": int(model.count_params()),
            **architecture(config).manifest_record(config, variant),
            **_single_text_record(config),
            "onnx_opset": ONNX_OPSET,
            "onnx_graph": variant,
            "layers": [layer.__class__.__name__ for layer in model.layers],
        },
        "files": {},  # filled by _write_manifest from the files on disk
        "training": {
            "config": config.to_dict(),
            "command": command,
            "best_epoch": history["best_epoch"],
            "epochs_run": len(history["loss"]),
            "best_val_accuracy": history["best_val_accuracy"],
            **({"rnn_phase": history["rnn_phase"]} if "rnn_phase" in history else {}),
            **({"thresholds": history["thresholds"]} if "thresholds" in history else {}),
            **({"refit": history["refit"]} if "refit" in history else {}),
            "train_texts": history["train_texts"],
            "validation_texts": history["validation_texts"],
            "history": HISTORY_NAME,
            "curves": CURVES_NAME,
        },
        "dataset": data.describe(),
        "timings": {"train_seconds": round(train_seconds, 1)},
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED_PACKAGES}},
    }


def _single_text_record(config: TrainingConfig) -> dict:
    """How the runtime may call model.single.onnx (backends/onnx.py), when the bundle has it."""
    if not single_text.supports(config):
        return {}
    return {
        "single_text": {
            "file": SINGLE_TEXT_FILE[0],
            "input": {"name": INPUT_NAME, "dtype": "int32", "shape": ["steps"], "meaning": "one text's kept ids, no padding"},
            **({"subwords_input": {"name": SUBWORDS_INPUT, "dtype": "int32", "shape": ["count"],
                                   "meaning": "one text's kept subword ids, no padding"}} if config.has_subwords else {}),
            "min_steps": single_text.min_steps(config),
            "max_steps": config.maxlen,
        }
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _write_manifest(folder: Path, manifest: dict, files: dict) -> None:
    manifest["files"] = {
        key: {"path": name, "sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
        for key, name in files.items()
    }
    # Written through the schema: a manifest the runtime would refuse is never written.
    text = json.dumps(Manifest.from_dict(manifest).to_dict(), indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
