"""Calibration at export: fit the scores to the validation labels, then fold it into the model.

Every model ends in a Dense layer named ``score``: the scores are ``act(W·h + b)`` of the
features ``h`` (``act``: sigmoid, or softmax for multiclass; edge_sentiment/tasks.py).
Platt scaling replaces a logit ``z`` by ``a·z + c``, temperature scaling by ``z / T``
(``c = 0``, ``a = 1/T``). Either is the same Dense layer with column weights ``a·w`` and bias
``a·b + c``, so writing them into that layer calibrates Keras, and so every exported form
(ONNX, the one-text graph, TFLite, NumPy, int8), with no new operator and no change to
any runtime. Binary: one ``(a, c)``. Multiclass: one temperature for all logits (softmax
keeps its ranking; Platt's shifts would change it, so "platt" fits a temperature too).
Multilabel: each label's ``(a, c)`` on its own, kept only where it lowers that label's ECE.
Where the logits already separate the validation labels nothing is fitted (the log-loss has no
minimum: it falls for as long as the scores sharpen).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from edge_sentiment.metrics import calibration_metrics, multiclass_metrics
from edge_sentiment.tasks import activate

from .config import CALIBRATIONS as METHODS
from .layers import OUTPUT_NAME


@dataclass(frozen=True)
class Calibration:
    method: str
    scale: float | np.ndarray  # a (one per output column for multilabel)
    shift: float | np.ndarray  # c


@dataclass(frozen=True)
class CalibrationResult:
    """The manifest's ``calibration`` record, and the validation scores behind it (for the plot)."""

    record: dict
    labels: np.ndarray
    scores_before: np.ndarray
    scores_after: np.ndarray
    #: What was folded into the final layer (None: nothing).
    applied: Calibration | None = None


def logits(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The logits ``[n, K]`` of each row (before the activation), from the final layer's inputs."""
    features = keras.Model(model.inputs, model.get_layer(OUTPUT_NAME).input).predict(x, batch_size=1024, verbose=0)
    kernel, bias = model.get_layer(OUTPUT_NAME).get_weights()
    return features.astype(np.float64) @ kernel.astype(np.float64) + bias.astype(np.float64)


def fit_calibration(method: str, z: np.ndarray, y: np.ndarray) -> Calibration:
    """The ``a`` (and for Platt ``c``) that minimise the negative log-likelihood of ``y``
    given ``sigmoid(a·z + c)``: Newton's method on a convex problem of one or two unknowns."""
    if method == "none":
        return Calibration("none", 1.0, 0.0)
    if method not in METHODS:
        raise ValueError(f"calibration must be one of {METHODS}, got {method!r}")
    y = np.asarray(y, dtype=np.float64)
    features = np.stack([z, np.ones_like(z)], axis=1) if method == "platt" else z[:, None]

    def nll(params: np.ndarray) -> float:
        logit = features @ params
        return float(np.mean(np.logaddexp(0.0, logit) - y * logit))

    params = np.zeros(features.shape[1])
    params[0] = 1.0
    for _ in range(100):
        p = _sigmoid(features @ params)
        gradient = features.T @ (p - y) / len(y)
        hessian = (features * (p * (1 - p))[:, None]).T @ features / len(y) + 1e-9 * np.eye(len(params))
        step = np.linalg.solve(hessian, gradient)
        # Newton's step can overshoot where the scores saturate: halve it until the loss falls.
        size, current = 1.0, nll(params)
        while nll(params - size * step) > current and size > 1e-6:
            size /= 2
        params -= size * step
        if np.abs(size * step).max() < 1e-10:
            break
    return Calibration(method, float(params[0]), float(params[1]) if method == "platt" else 0.0)


def fold_into(model: keras.Model, calibration: Calibration) -> None:
    """Rewrite the final Dense layer so that the model itself returns calibrated scores."""
    layer = model.get_layer(OUTPUT_NAME)
    kernel, bias = layer.get_weights()
    layer.set_weights([
        (kernel.astype(np.float64) * calibration.scale).astype(kernel.dtype),
        (bias.astype(np.float64) * calibration.scale + calibration.shift).astype(bias.dtype),
    ])


def calibrate(model: keras.Model, method: str, x_val: np.ndarray, y_val: np.ndarray, task: str = "binary",
              labels: tuple[str, ...] = ()) -> CalibrationResult:
    """Fit ``method`` on the validation rows and fold it into ``model`` if it lowers the
    validation ECE; otherwise the model is left as it is (``record["kept"]`` says which)."""
    if task == "multiclass":
        return _calibrate_softmax(model, x_val, y_val)
    if task == "multilabel":
        return _calibrate_each_label(model, method, x_val, y_val, labels)
    z = logits(model, x_val)[:, 0]
    fitted, improves = choose_calibration(method, z, y_val)
    unbounded = separates(method, z, y_val)
    if improves:
        fold_into(model, fitted)
    before = _sigmoid(z)
    after = model.predict(x_val, batch_size=1024, verbose=0).reshape(-1) if improves else before
    applied = fitted if improves else Calibration(fitted.method, 1.0, 0.0)
    record = {
        "method": fitted.method,
        "kept": "calibrated" if improves else UNBOUNDED if unbounded else WORSE,
        "parameters": {"scale": applied.scale, "shift": applied.shift},
        "fitted_parameters": {"scale": fitted.scale, "shift": fitted.shift},
        "formula": "score = sigmoid(scale * logit + shift), folded into the final Dense layer",
        "fitted_on": f"{len(y_val)} validation rows",
        "before": calibration_metrics(y_val, before),
        "fitted": calibration_metrics(y_val, _sigmoid(fitted.scale * z + fitted.shift)),
        "after": calibration_metrics(y_val, after),
    }
    return CalibrationResult(record, np.asarray(y_val), before, after, fitted if improves else None)


def _calibrate_softmax(model: keras.Model, x_val: np.ndarray, y_val: np.ndarray) -> CalibrationResult:
    """One temperature for every logit of a softmax, kept if it lowers the top-label ECE."""
    z, y = logits(model, x_val), np.asarray(y_val).astype(int)
    unbounded = separates("temperature", z, y)
    scale = 1.0 if unbounded else fit_temperature(z, y)
    names = range(z.shape[1])
    before, fitted_scores = activate(z, "multiclass"), activate(scale * z, "multiclass")
    measured = {name: multiclass_metrics(y, p, names) for name, p in (("before", before), ("fitted", fitted_scores))}
    improves = not unbounded and measured["fitted"]["top_label_ece"] < measured["before"]["top_label_ece"]
    if improves:
        fold_into(model, Calibration("temperature", scale, 0.0))
    after = fitted_scores if improves else before
    measured["after"] = measured["fitted" if improves else "before"]
    figures = {name: {"ece": m["top_label_ece"], "nll": m["nll"]} for name, m in measured.items()}
    record = {
        "method": "temperature",
        "kept": "calibrated" if improves else UNBOUNDED if unbounded else WORSE,
        "parameters": {"scale": scale if improves else 1.0, "shift": 0.0},
        "fitted_parameters": {"scale": scale, "shift": 0.0},
        "formula": "scores = softmax(scale * logits), folded into the final Dense layer; ECE is top-label ECE",
        "fitted_on": f"{len(y)} validation rows",
        **figures,
    }
    truth, confidence = (y == before.argmax(axis=1)), before.max(axis=1)
    applied = Calibration("temperature", scale, 0.0) if improves else None
    return CalibrationResult(record, truth.astype(float), confidence, after.max(axis=1), applied)


def fit_temperature(z: np.ndarray, y: np.ndarray) -> float:
    """The scale ``a`` (1/T) minimising the softmax log-loss of ``a·z``: a golden-section
    search over log(a) (the loss is convex in a)."""
    rows = np.arange(len(y))

    def nll(log_scale: float) -> float:
        scaled = np.exp(log_scale) * z
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(scaled).sum(axis=1)) - scaled[rows, y]))

    low, high = np.log(0.02), np.log(50.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if nll(a) < nll(b):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))


def _calibrate_each_label(model: keras.Model, method: str, x_val: np.ndarray, y_val: np.ndarray,
                          labels: tuple[str, ...]) -> CalibrationResult:
    """Each label's sigmoid calibrated on its own column, kept where it lowers that label's ECE."""
    z, y = logits(model, x_val), np.asarray(y_val, dtype=np.float64)
    scales, shifts, per_label = np.ones(z.shape[1]), np.zeros(z.shape[1]), {}
    for k in range(z.shape[1]):
        fitted, improves = choose_calibration(method, z[:, k], y[:, k])
        if improves:
            scales[k], shifts[k] = fitted.scale, fitted.shift
        per_label[labels[k] if k < len(labels) else str(k)] = {
            "scale": float(scales[k]), "shift": float(shifts[k]), "kept": bool(improves)}
    fold_into(model, Calibration(method, scales, shifts))
    before, after = _sigmoid(z), _sigmoid(scales * z + shifts)
    figures = {name: {"ece": float(np.mean([calibration_metrics(y[:, k], p[:, k])["ece"] for k in range(z.shape[1])])),
                      "nll": float(np.mean([calibration_metrics(y[:, k], p[:, k])["nll"] for k in range(z.shape[1])]))}
               for name, p in (("before", before), ("after", after))}
    kept = sum(entry["kept"] for entry in per_label.values())
    record = {
        "method": method,
        "kept": f"calibrated: {kept} of {z.shape[1]} labels (each kept only where it lowers that label's validation ECE "
                "and its logits do not already put every validation row on the right side)",
        "parameters": {},
        "per_label": per_label,
        "formula": "score_k = sigmoid(scale_k * logit_k + shift_k), folded into the final Dense layer; ECE is the "
                   "mean of the labels' ECEs",
        "fitted_on": f"{len(y)} validation rows",
        "fitted": figures["after"],
        **figures,
    }
    return CalibrationResult(record, y.reshape(-1), before.reshape(-1), after.reshape(-1), Calibration(method, scales, shifts))


WORSE = "uncalibrated: the fitted calibration made validation ECE worse"
UNBOUNDED = ("uncalibrated: the logits already put every validation row on its label's side, so the log-loss "
             "only falls as the scores sharpen, without end: the validation rows cannot say by how much")


def separates(method: str, z: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``method`` has no finite fit to logits ``z`` and labels ``y``: every row is on its
    label's side (``y`` binary with ``z`` ``[n]``, or class indices with softmax logits ``[n, K]``),
    so scaling the logits up lowers the log-loss for ever."""
    if z.ndim == 2:  # a softmax's temperature: each row's own label has the largest logit
        return bool((z[np.arange(len(y)), y] >= z.max(axis=1)).all())
    positive, negative = z[np.asarray(y) > 0.5], z[np.asarray(y) <= 0.5]
    if method == "platt":  # its shift can move the boundary: any gap between the two labels' logits will do
        return not positive.size or not negative.size or positive.min() >= negative.max()
    return bool((positive >= 0).all() and (negative <= 0).all())


def choose_calibration(method: str, z: np.ndarray, y: np.ndarray) -> tuple[Calibration, bool]:
    """The calibration ``method`` fits to logits ``z`` and labels ``y``, and whether it lowers
    their ECE (fitting minimises the log-loss, which can leave ECE worse on a small set); never
    kept where the logits separate the labels (:func:`separates`)."""
    if separates(method, z, y):
        return Calibration(method, 1.0, 0.0), False
    fitted = fit_calibration(method, z, y)
    ece_fitted = calibration_metrics(y, _sigmoid(fitted.scale * z + fitted.shift))["ece"]
    return fitted, ece_fitted < calibration_metrics(y, _sigmoid(z))["ece"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for any z


CALIBRATION_PLOT = "calibration.png"


def write_reliability_diagram(result: CalibrationResult, path, title: str) -> None:
    """Reliability diagram (share of positives against mean score, 10 bins) before and after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = result.labels
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for name, scores, colour in (("before", result.scores_before, "tab:red"), ("after", result.scores_after, "tab:green")):
        bins = np.minimum((scores * 10).astype(int), 9)
        points = [(scores[bins == b].mean(), labels[bins == b].mean()) for b in range(10) if (bins == b).any()]
        ax.plot(*zip(*points), "o-", color=colour, label=f"{name} (ECE {result.record[name]['ece']:.3f})")
    ax.set_xlabel("mean score in bin")
    ax.set_ylabel("share of positive labels in bin")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
