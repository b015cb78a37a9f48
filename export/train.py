"""Fit a model: seeded shuffle + validation split, early stopping, history JSON and curves."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from .config import TrainingConfig
from .model import build_model

HISTORY_NAME = "history.json"
CURVES_NAME = "training_curves.png"


def sample_indices(n: int, limit: int | None, seed: int) -> np.ndarray:
    """All of ``range(n)``, or a seeded random subset of ``limit`` of them, in sorted order."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def split_train_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Shuffle, then carve ``fraction`` off for validation.

    aclImdb lists every negative review before every positive one, so an
    unshuffled tail split would validate on positives only.
    """
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, round(len(x) * fraction))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def fit(config: TrainingConfig, x: np.ndarray, y: np.ndarray, verbose: str | int = "auto"):
    """Train a fresh model on ``(x, y)``; returns the model (best weights) and its history."""
    keras.utils.set_random_seed(config.seed)
    x_train, y_train, x_val, y_val = split_train_validation(x, y, config.validation_fraction, config.seed)
    model = build_model(config)
    model.compile(optimizer=_optimizer(config), loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=config.epochs,
        batch_size=config.batch_size,
        callbacks=[stop],
        verbose=verbose,
    )
    record = {key: [float(v) for v in values] for key, values in history.history.items()}
    record["best_epoch"] = int(np.argmin(record["val_loss"])) + 1
    record["train_reviews"], record["validation_reviews"] = len(x_train), len(x_val)
    return model, record


def _optimizer(config: TrainingConfig):
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=config.learning_rate)
    return keras.optimizers.RMSprop(learning_rate=config.learning_rate)


def write_history(record: dict, out_dir: Path) -> list[Path]:
    """Write ``history.json`` and a PNG of loss and accuracy curves into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    json_path = out_dir / HISTORY_NAME
    json_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    epochs = range(1, len(record["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, record[metric], "o-", label=f"train {metric}")
        ax.plot(epochs, record[f"val_{metric}"], "s-", label=f"validation {metric}")
        ax.axvline(record["best_epoch"], color="grey", linestyle=":", label="best epoch (kept)")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    fig.tight_layout()
    png_path = out_dir / CURVES_NAME
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return [json_path, png_path]
