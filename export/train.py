"""Fit a model: seeded shuffle + validation split, early stopping, history JSON and curves."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from edge_sentiment.metrics import macro_f1
from edge_sentiment.tasks import decisions

from .config import FEATURE_WEIGHTS, TrainingConfig
from .feature_weights import bag_scales
from .layers import BAG_EMBEDDINGS, BAG_MEAN, OUTPUT_NAME, RNN_FEATURES
from .model import build_model, output_layer, plain_copy
from .optimizers import optimizer

HISTORY_NAME = "history.json"
CURVES_NAME = "training_curves.png"


def sample_indices(n: int, limit: int | None, seed: int) -> np.ndarray:
    """All of ``range(n)``, or a seeded random subset of ``limit`` of them, in sorted order."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def validation_indices(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train, validation)`` row indices: a seeded shuffle, then ``fraction`` carved off.

    aclImdb lists every negative review before every positive one, so an
    unshuffled tail split would validate on positives only.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, round(n * fraction))
    return order[n_val:], order[:n_val]


def split_train_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    train, val = validation_indices(len(x), fraction, seed)
    return x[train], y[train], x[val], y[val]


def fit(config: TrainingConfig, x: np.ndarray, y: np.ndarray, verbose: int | None = None, validation=None,
        choose: tuple[str, ...] = ()):
    """Train a fresh model on ``(x, y)``; returns the model (best weights) and its history.

    ``validation``: ``(x_val, y_val)`` to stop on; by default carved from ``(x, y)``
    (:func:`split_train_validation`). ``verbose``: Keras' progress output; by
    default a live bar on a terminal and one line per epoch in a log or pipe.
    ``choose``: of :data:`BAG_CHOICES`, the settings a model with a bag phase chooses there on the
    validation loss (:func:`_bag_choice`; the history's entry of each name says which, and why).
    """
    verbose = _keras_verbosity(verbose)
    keras.utils.set_random_seed(config.seed)
    if validation is None:
        x_train, y_train, x_val, y_val = split_train_validation(x, y, config.validation_fraction, config.seed)
    else:
        (x_train, y_train), (x_val, y_val) = (x, y), validation
    data = (x_train, y_train, x_val, y_val)
    scales = _LazyScales(x_train, y_train)
    pretrain, choices = None, {}
    if config.pretrain_bag_epochs and choose:
        model, pretrain, config, choices = _bag_choice(config, data, scales, choose, verbose)
        x_train, y_train, x_val, y_val = data = _columns(data, config)  # (without subwords, if they were left out)
    else:
        model = build_model(config, scales=scales.of(config))
        pretrain = _pretrain_bag(model, config, data, verbose) if config.pretrain_bag_epochs else None
    if pretrain is not None and config.rnn_embedding_dim:
        rnn = _rnn_model(model, config)
        record = _fit_phase(rnn, _rnn_alone(config), config.pretrain_bag_epochs, data, verbose)
        record["rnn_phase"] = _mix(model, rnn, config, x_val, y_val)
        record["best_val_accuracy"] = record["rnn_phase"]["val_accuracy_rnn"]
    else:
        if pretrain is not None:
            bag_only = model.get_weights()  # the bag's classifier, zero weight on the RNN features
            bag_loss, bag_accuracy = _validation_loss_and_accuracy(model, config, x_val, y_val)
        record = _fit_phase(model, config, config.epochs, data, verbose)
        record["best_val_accuracy"] = record["val_accuracy"][record["best_epoch"] - 1]
        if pretrain is not None:
            record["rnn_phase"] = _rnn_phase_choice(record, bag_loss, bag_accuracy, config.stop_on)
            if record["rnn_phase"]["kept"] == "bag":
                model.set_weights(bag_only)
                record["best_val_accuracy"] = bag_accuracy
    if pretrain is not None:
        record["pretrain_bag"] = pretrain
    record.update(choices)
    record["train_texts"], record["validation_texts"] = len(x_train), len(x_val)
    return _unscaled(model, config, scales.of(config)), record


def refit(config: TrainingConfig, record: dict, x: np.ndarray, y: np.ndarray, verbose: int | None = None):
    """A fresh model trained on ``(x, y)`` for the epochs :func:`fit` chose on validation (each
    phase's best epoch; the recurrent phase only when :func:`fit` kept it), with nothing held
    out to stop on. Returns the model and what was done, for the manifest."""
    verbose = _keras_verbosity(verbose)
    keras.utils.set_random_seed(config.seed)
    scales = _LazyScales(x, y).of(config)  # (the ratios of the rows this model learns from)
    model = build_model(config, scales=scales)
    weights = class_weights(config.class_weight, y)
    epochs = {"bag": record["pretrain_bag"]["best_epoch"]} if "pretrain_bag" in record else {}
    if epochs:
        bag = _bag_model(model, config)
        _compile(bag, config.with_overrides(learning_rate=config.pretrain_learning_rate))
        bag.fit(x, y, epochs=epochs["bag"], batch_size=config.batch_size, verbose=verbose, class_weight=weights)
        _start_from_bag(model, config, bag)
    if epochs and config.rnn_embedding_dim:
        if record["rnn_phase"]["kept"] == "rnn":
            epochs["rnn"] = record["best_epoch"]
            rnn = _rnn_model(model, config)
            _compile(rnn, _rnn_alone(config))
            rnn.fit(x, y, epochs=record["best_epoch"], batch_size=config.batch_size, verbose=verbose, class_weight=weights)
            _set_mix(model, model.get_layer(OUTPUT_NAME).get_weights(), rnn, config, record["rnn_phase"]["rnn_weight"])
    elif not epochs or record["rnn_phase"]["kept"] == "rnn":
        epochs["full model" if epochs else "model"] = record["best_epoch"]
        _compile(model, config)
        model.fit(x, y, epochs=record["best_epoch"], batch_size=config.batch_size, verbose=verbose, class_weight=weights)
    return _unscaled(model, config, scales), {"rows": len(x), "epochs": epochs,
                   "rule": "after the epochs were chosen on the validation rows, a fresh model with the same settings "
                           "and seed was trained on every training row for those epochs"}


def training_phases(config: TrainingConfig) -> str:
    """What :func:`fit` trains, for the export log."""
    if not config.pretrain_bag_epochs:
        return f"up to {config.epochs} epochs"
    second = (f"the RNN alone up to {config.pretrain_bag_epochs}, then mixed in" if config.rnn_embedding_dim
              else f"the whole model up to {config.epochs}")
    return f"the bag model up to {config.pretrain_bag_epochs} epochs, {second}"


def _keras_verbosity(verbose: int | None) -> int:
    """Keras' progress output: as asked, else a live bar on a terminal and one line per epoch in a log or pipe."""
    if verbose is not None:
        return verbose
    return 1 if sys.stdout.isatty() else 2


def _compile(model: keras.Model, config: TrainingConfig) -> None:
    """The task's loss: cross-entropy of the sigmoid (binary, each label of multilabel) or of
    the softmax over the label ids (multiclass). "accuracy" is per label for multilabel."""
    if config.task == "multiclass":
        loss, accuracy = "sparse_categorical_crossentropy", "accuracy"
    else:
        loss, accuracy = "binary_crossentropy", keras.metrics.BinaryAccuracy(name="accuracy")
    model.compile(optimizer=optimizer(config), loss=loss, metrics=[accuracy])


def _validation_loss_and_accuracy(model: keras.Model, config: TrainingConfig, x_val, y_val) -> tuple[float, float]:
    _compile(model, config)
    loss, accuracy = model.evaluate(x_val, y_val, batch_size=1024, verbose=0)
    return float(loss), float(accuracy)


def _rnn_phase_choice(record: dict, bag_loss: float, bag_accuracy: float, stop_on: str = "val_loss") -> dict:
    """An RNN over the bag's frozen word vectors, trained on from the bag model's classifier, is kept
    only when it improves what early stopping watches (the validation loss, or accuracy) over the
    bag model it starts from (with the RNN's weight at zero); otherwise the bag model is the model."""
    rnn_loss = record["val_loss"][record["best_epoch"] - 1]
    if stop_on == "val_loss":
        kept = "rnn" if rnn_loss < bag_loss else "bag"
    else:
        kept = "rnn" if record["best_val_accuracy"] > bag_accuracy else "bag"
    watched = "loss" if stop_on == "val_loss" else "accuracy"
    return {"kept": kept, "val_loss_bag": round(bag_loss, 5), "val_loss_rnn": round(rnn_loss, 5),
            "val_accuracy_bag": round(bag_accuracy, 5), "val_accuracy_rnn": round(record["best_val_accuracy"], 5),
            "rule": f"the recurrent phase is kept only if it improves the validation {watched} of the bag-of-words "
                    "model it starts from; otherwise its weight on the RNN stays zero"}


def _rnn_alone(config: TrainingConfig) -> TrainingConfig:
    """An RNN with word vectors of its own learns from scratch, as the bags did: at their learning rate."""
    return config.with_overrides(learning_rate=config.pretrain_learning_rate)


#: The RNN's shares of the kept model's logits that phase 2 tries (0: the bag model alone).
RNN_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: A share above 0 is kept only if it lowers the bag model's validation loss by this share at least:
#: where the RNN adds nothing the best share lowers it by less than half of this (docs/design.md,
#: "An RNN of its own"), and the RNN costs time on every call.
RNN_MARGIN = 0.005
#: ... and only if that gain is this many standard errors of the texts' loss differences at least:
#: on a few hundred validation texts a share that adds nothing can look 1% better by chance, and
#: where validation cannot tell the two apart the bag model is the cheaper one to run.
RNN_MIN_T = 2.0


def _rnn_model(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """The RNN part of ``model`` with a classifier of its own (the bag embeddings are frozen by then)."""
    features = model.get_layer(RNN_FEATURES).output
    if config.dropout:
        features = keras.layers.Dropout(config.dropout, name="rnn_features_dropout")(features)
    return keras.Model(model.input, output_layer(config, "rnn_score")(features), name="rnn_alone")


def _set_mix(model: keras.Model, bag: list, rnn: keras.Model, config: TrainingConfig, share: float) -> None:
    """``model``'s classifier: the bag model's logits times (1 - share) plus the RNN's times share, as
    one Dense (``bag``: ``model``'s Dense weights as the bag phase left them, zero on the RNN)."""
    (bag_kernel, bag_bias), (rnn_kernel, rnn_bias) = bag, rnn.get_layer("rnn_score").get_weights()
    bag_rows = bag_kernel.shape[0] - config.rnn_units
    model.get_layer(OUTPUT_NAME).set_weights([np.concatenate([(1 - share) * bag_kernel[:bag_rows], share * rnn_kernel]),
                                              (1 - share) * bag_bias + share * rnn_bias])


def _mix(model: keras.Model, rnn: keras.Model, config: TrainingConfig, x_val, y_val) -> dict:
    """Phase 2's choice, and ``model`` left with it: of :data:`RNN_WEIGHTS`, the RNN's share of the
    logits with the lowest validation loss, where that is clearly lower than the bag model's
    (:data:`RNN_MARGIN`, :data:`RNN_MIN_T`); else 0: the bag model alone, its weight on the RNN zero."""
    losses, accuracies, bag = {}, {}, model.get_layer(OUTPUT_NAME).get_weights()
    for share in RNN_WEIGHTS:
        _set_mix(model, bag, rnn, config, share)
        losses[share], accuracies[share] = _validation_loss_and_accuracy(model, config, x_val, y_val)
    best = min(RNN_WEIGHTS, key=lambda share: losses[share])
    t = _t_statistic(_mixed_text_losses(model, bag, rnn, config, 0.0, x_val, y_val) -
                     _mixed_text_losses(model, bag, rnn, config, best, x_val, y_val)) if best else 0.0
    if losses[best] > (1 - RNN_MARGIN) * losses[0.0] or t < RNN_MIN_T:
        best = 0.0
    _set_mix(model, bag, rnn, config, best)
    return {"kept": "rnn" if best else "bag", "rnn_weight": best, "val_loss_bag": round(losses[0.0], 5),
            "val_loss_rnn": round(losses[best], 5), "val_accuracy_bag": round(accuracies[0.0], 5),
            "val_accuracy_rnn": round(accuracies[best], 5),
            "validation_loss": {shown_value(share): round(loss, 5) for share, loss in losses.items()},
            "gain_t": round(t, 3),
            "rule": "the RNN learns with a classifier of its own; the model's logits are the bag model's and the "
                    "RNN's, mixed with the RNN's share (of " + ", ".join(map(shown_value, RNN_WEIGHTS)) + ") that "
                    f"gives the lowest validation loss, if at least {RNN_MARGIN:.1%} below the bag model's and "
                    f"by at least {RNN_MIN_T:g} standard errors of the validation texts' loss differences (gain_t) "
                    "(else 0: the bag model alone)"}


def _mixed_text_losses(model: keras.Model, bag: list, rnn: keras.Model, config: TrainingConfig, share: float,
                       x_val, y_val) -> np.ndarray:
    """:func:`_text_losses` of ``model`` mixed with the RNN's ``share`` (:func:`_set_mix`)."""
    _set_mix(model, bag, rnn, config, share)
    return _text_losses(model, config, x_val, y_val)


def _text_losses(model: keras.Model, config: TrainingConfig, x_val, y_val) -> np.ndarray:
    """Each validation text's loss, as :func:`_compile`'s loss (a multilabel text's: the mean over its labels)."""
    scores = np.clip(model.predict(x_val, batch_size=1024, verbose=0).astype(np.float64), 1e-7, 1 - 1e-7)
    if config.task == "multiclass":
        return -np.log(scores[np.arange(len(scores)), np.asarray(y_val).astype(np.int64).ravel()])
    truth = np.asarray(y_val, dtype=np.float64).reshape(scores.shape)
    return -(truth * np.log(scores) + (1 - truth) * np.log(1 - scores)).mean(axis=1)


def _t_statistic(gains: np.ndarray) -> float:
    """The mean of ``gains`` in standard errors (0 where there are too few, or all are equal)."""
    spread = gains.std(ddof=1) if len(gains) > 1 else 0.0
    return float(gains.mean() / (spread / np.sqrt(len(gains)))) if spread > 0 else 0.0


def _fit_phase(model: keras.Model, config: TrainingConfig, epochs: int, data: tuple, verbose) -> dict:
    """Compile and fit with early stopping on val_loss (best weights restored); returns the history."""
    x_train, y_train, x_val, y_val = data
    _compile(model, config)
    mode = "min" if config.stop_on == "val_loss" else "max"
    stop = keras.callbacks.EarlyStopping(monitor=config.stop_on, mode=mode, patience=config.patience, restore_best_weights=True)
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=config.batch_size,
        callbacks=[stop],
        verbose=verbose,
        class_weight=class_weights(config.class_weight, y_train),
    )
    record = {key: [float(v) for v in values] for key, values in history.history.items()}
    watched = np.asarray(record[config.stop_on])
    record["best_epoch"] = int(np.argmin(watched) if config.stop_on == "val_loss" else np.argmax(watched)) + 1
    return record


def class_weights(rule: str, labels: np.ndarray) -> dict[int, float] | None:
    """Keras ``class_weight`` for ``rule`` (config.CLASS_WEIGHTS): None, or each class's rows
    weighted n / (classes x its rows)."""
    if rule == "none":
        return None
    if np.ndim(labels) > 1:
        raise ValueError("class_weight 'balanced' is for one label per text; a multilabel model weighs every row alike")
    classes, counts = np.unique(np.asarray(labels).astype(int), return_counts=True)
    return {int(c): float(len(labels) / (len(classes) * n)) for c, n in zip(classes, counts)}


#: With class_weight fitted to the data, both weightings are trained (and one chosen on validation,
#: :func:`fit_class_weight`) only when the rarest class holds less than this share of an even
#: split's rows (two labels: under a third of the rows).
IMBALANCED_SHARE = 2 / 3


def fit_class_weight(config: TrainingConfig, x: np.ndarray, y: np.ndarray, validation, log=print,
                     choose: tuple[str, ...] = ()):
    """:func:`fit` with ``class_weight`` chosen on the validation split: "none" for data whose
    rarest class holds :data:`IMBALANCED_SHARE` of the rows or more, else "balanced" where it
    gives the better validation accuracy + macro-F1 by :data:`CLASS_WEIGHT_MIN_T` standard
    errors of that difference (balanced weights raise the rare classes' recall at the cost of
    accuracy: they must gain more macro-F1 than they cost accuracy, by more than the validation
    rows' chance), else "none". Returns ``(model, history, config, record)``."""

    def fit_with(rule: str):
        return fit(config.with_overrides(class_weight=rule), x, y, validation=validation, choose=choose)

    if config.task == "multilabel":
        model, history = fit_with("none")
        record = {"value": "none", "rule": "a multilabel model weighs every row alike (Keras class weights are per row label)"}
        return model, history, config.with_overrides(class_weight="none"), record
    share = float(np.bincount(np.asarray(y).astype(int), minlength=config.num_labels).min() / len(y))
    bound = IMBALANCED_SHARE / config.num_labels
    if share >= bound:
        model, history = fit_with("none")
        record = {"value": "none", "rarest_class_share": round(share, 4),
                  "rule": f"the rarest class holds {share:.0%} of the training rows (at least {bound:.0%})"}
        return model, history, config.with_overrides(class_weight="none"), record
    tried, truth = {}, np.asarray(validation[1]).astype(np.int64)
    for rule in ("none", "balanced"):
        log(f"class_weight {rule}: training (the rarest class holds {share:.1%} of the training rows)")
        model, history = fit_with(rule)
        x_val = validation[0][:, : chosen_config(config, history).width]
        tried[rule] = (decisions(model.predict(x_val, batch_size=1024, verbose=0), config.task), model, history)
    gain_t = _paired_gain_t(truth, tried["none"][0], tried["balanced"][0], config.num_labels, config.seed)
    best = "balanced" if gain_t >= CLASS_WEIGHT_MIN_T else "none"
    figures = {rule: _accuracy_and_macro_f1(truth, predicted, config.num_labels) for rule, (predicted, _, _) in tried.items()}
    record = {"value": best, "rarest_class_share": round(share, 4),
              **{f"validation_{name}": {rule: round(figures[rule][name], 4) for rule in tried} for name in ("accuracy", "macro_f1")},
              "gain_t": round(gain_t, 3),
              "rule": f"'balanced' where its validation accuracy + macro-F1 beats that of 'none' by at least "
                      f"{CLASS_WEIGHT_MIN_T:g} standard errors of the difference (gain_t; {CLASS_WEIGHT_RESAMPLES} paired "
                      f"resamples of the validation rows), else 'none' (the rarest class holds {share:.1%} of the "
                      f"training rows, under {bound:.0%})"}
    return tried[best][1], tried[best][2], config.with_overrides(class_weight=best), record


#: Balanced class weights must beat none by this many standard errors: fewer than the RNN's share
#: and the subwords must pass (they cost run time; here two figures are traded, and a small file's
#: unweighted model that predicts the common class nearly always must still be put right).
CLASS_WEIGHT_MIN_T = 1.0
#: Bootstrap resamples of the validation rows that estimate that standard error.
CLASS_WEIGHT_RESAMPLES = 200


def _accuracy_and_macro_f1(truth: np.ndarray, predicted: np.ndarray, num_labels: int) -> dict[str, float]:
    return {"accuracy": float(np.mean(predicted == truth)), "macro_f1": macro_f1(truth, predicted, num_labels)}


def _paired_gain_t(truth: np.ndarray, before: np.ndarray, after: np.ndarray, num_labels: int, seed: int) -> float:
    """How many standard errors ``after``'s accuracy + macro-F1 lies above ``before``'s, the error
    from paired bootstrap resamples of the rows (macro-F1 is no mean of per-row figures); 0 where the
    two predict alike."""
    def score(rows, predicted):
        return sum(_accuracy_and_macro_f1(truth[rows], predicted[rows], num_labels).values())

    every = np.arange(len(truth))
    gain = score(every, after) - score(every, before)
    rng = np.random.default_rng(seed)
    resampled = [score(rows, after) - score(rows, before)
                 for rows in (rng.integers(0, len(truth), len(truth)) for _ in range(CLASS_WEIGHT_RESAMPLES))]
    spread = float(np.std(resampled))
    return gain / spread if spread > 0 else 0.0


#: Whether the bags read each word's subwords: "on" (as the rule of export/vocab.py set them up) or
#: "off" (words and word pairs only: on short English questions the subwords' rare names and
#: stems were noise, docs/design.md, "Subwords where they help").
SUBWORD_USES = ("on", "off")
#: The bag divisors' powers the bag phase tries when the power is fitted to the data: 1 (each bag
#: a mean) and 0.5 (a longer text's evidence adds up, as in an L2-normalised bag of counts).
BAG_POWERS = (1.0, 0.5)
#: The feature weights' smoothings tried when fitted to the data: 1, and 0.25 (a feature seen in a
#: few texts of one class starts louder).
FEATURE_SMOOTHINGS = (1.0, 0.25)
#: The settings the bag phase can choose on the validation loss, in this order, each with its values:
#: the first is kept unless another beats it by its margin (:data:`BAG_CHOICE_MARGINS`).
BAG_CHOICES = {"subwords": SUBWORD_USES, "bag_power": BAG_POWERS, "feature_weights": FEATURE_WEIGHTS,
               "feature_smoothing": FEATURE_SMOOTHINGS}
#: Another value is kept only if it lowers the current one's validation loss by this share at least:
#: between seeds the losses of the two powers change order within about 0.9% (docs/design.md,
#: "Bags that add up").
BAG_CHOICE_MARGIN = 0.01
#: Each choice's margin. The smoothing's validation loss moved with the carved accuracy even where
#: it moved little, and a choice between two near-equal smoothings costs nothing either way
#: (docs/design.md, "The feature weights' smoothing").
BAG_CHOICE_MARGINS = {"subwords": BAG_CHOICE_MARGIN, "bag_power": BAG_CHOICE_MARGIN, "feature_weights": BAG_CHOICE_MARGIN,
                      "feature_smoothing": 0.0}
#: Choices whose other value must also lower the validation loss by this many standard errors of
#: the validation texts' loss differences (the RNN's share passes the same test): the subwords' 1%
#: moved with the carved accuracy on one TREC-6 file and against it on its carve (docs/design.md,
#: "Subwords where they help").
BAG_CHOICE_MIN_T = {"subwords": RNN_MIN_T}
#: Each choice's rule, as the manifest states it.
_CHOICE_RULES = {
    "subwords": "the words' subwords are a bag of their own ({first}) unless leaving them out ({others})",
    "bag_power": "each bag divides its sum by (tokens + bag_prior) to the power {first} (a mean) unless {others} (a "
                 "longer text's evidence adds up)",
    "feature_weights": "each bag feature is scaled by its Naive-Bayes log-count ratio while training ({first}) unless "
                       "letting every feature start equal ({others})",
    "feature_smoothing": "the log-count ratios add {first} to each feature's count in each class unless {others}",
}


class _LazyScales:
    """The bag features' log-count-ratio scales of some training rows, computed when first needed."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self._rows, self._scales = (x, y), {}

    def of(self, config: TrainingConfig) -> dict | None:
        """The scales ``config`` trains with: None unless its feature_weights is "log_count_ratio"."""
        if config.feature_weights == "none":
            return None
        key = config.feature_smoothing, config.has_subwords
        if key not in self._scales:
            self._scales[key] = bag_scales(config, *self._rows)
        return self._scales[key]


def with_choice(config: TrainingConfig, name: str, value) -> TrainingConfig:
    """``config`` with the bag choice ``name`` (of :data:`BAG_CHOICES`) set to ``value``."""
    if name == "subwords":
        return config if value == "on" else config.without_subwords()
    return config.with_overrides(**{name: value})


def with_choices(config: TrainingConfig, values: dict) -> TrainingConfig:
    """``config`` with each bag choice of ``values`` (name: value) set."""
    for name, value in values.items():
        config = with_choice(config, name, value)
    return config


def chosen_config(config: TrainingConfig, record: dict) -> TrainingConfig:
    """``config`` with the bag choices a :func:`fit` record holds."""
    return with_choices(config, {name: record[name]["value"] for name in BAG_CHOICES if name in record})


def _choice_value(config: TrainingConfig, name: str):
    return ("on" if config.has_subwords else "off") if name == "subwords" else getattr(config, name)


def _columns(data: tuple, config: TrainingConfig) -> tuple:
    """Training data ``(x_train, y_train, x_val, y_val)`` with the input columns ``config``'s model
    reads: the word ids, and the subword slots only if it has subwords."""
    x_train, y_train, x_val, y_val = data
    return x_train[:, : config.width], y_train, x_val[:, : config.width], y_val


def _unscaled(model: keras.Model, config: TrainingConfig, scales: dict | None) -> keras.Model:
    """``model`` as every exported form has it: the training-time feature scales folded into its embeddings."""
    return model if scales is None else plain_copy(model, config, scales)


class _BagPhase(NamedTuple):
    """One candidate's bag phase in :func:`_bag_choice`."""

    loss: float  # the mean of text_losses: the validation loss
    model: keras.Model
    record: dict
    config: TrainingConfig
    text_losses: np.ndarray  # each validation text's


def _bag_choice(config: TrainingConfig, data: tuple, scales: _LazyScales, choose: tuple[str, ...], verbose):
    """The bag phase from a fresh model and the same seed per candidate: for each setting of
    :data:`BAG_CHOICES` in ``choose``, in turn, its first value, then each other one, which is kept
    only if it lowers the kept one's validation loss by its margin (:data:`BAG_CHOICE_MARGINS`) or
    more, and where :data:`BAG_CHOICE_MIN_T` says so by that many standard errors (the smoothing
    only where the kept model has feature weights to smooth).
    Returns ``(model, pretrain record, config, {setting: record})``."""

    def bag_phase(candidate: TrainingConfig) -> _BagPhase:
        keras.utils.set_random_seed(candidate.seed)
        model = build_model(candidate, scales=scales.of(candidate))
        columns = _columns(data, candidate)
        pretrain = _pretrain_bag(model, candidate, columns, verbose)
        text_losses = _text_losses(model, candidate, columns[2], columns[3])
        return _BagPhase(float(text_losses.mean()), model, pretrain, candidate, text_losses)

    settings = [name for name in BAG_CHOICES if name in choose]
    kept = bag_phase(with_choices(config, {name: BAG_CHOICES[name][0] for name in settings}))
    choices = {}
    for name in settings:
        if name == "feature_smoothing" and kept.config.feature_weights == "none":
            continue
        first, *others = BAG_CHOICES[name]
        losses, margin, min_t, gains_t = {first: kept.loss}, BAG_CHOICE_MARGINS[name], BAG_CHOICE_MIN_T.get(name), {}
        for value in others:
            tried = bag_phase(with_choice(kept.config, name, value))
            losses[value] = tried.loss
            clearly_lower = tried.loss < kept.loss and tried.loss <= (1 - margin) * kept.loss
            if min_t is not None:
                gains_t[value] = _t_statistic(kept.text_losses - tried.text_losses)
                clearly_lower = clearly_lower and gains_t[value] >= min_t
            if clearly_lower:
                kept = tried
        rule = _CHOICE_RULES[name].format(first=shown_value(first), others=" or ".join(map(shown_value, others)))
        lower = f"at least {margin:.0%} lower" if margin else "lower"
        if min_t is not None:
            lower += f", by at least {min_t:g} standard errors of the validation texts' loss differences (gain_t)"
        choices[name] = {"value": _choice_value(kept.config, name),
                         "validation_loss": {shown_value(v): round(loss, 5) for v, loss in losses.items()},
                         **({"gain_t": {shown_value(v): round(t, 3) for v, t in gains_t.items()}} if gains_t else {}),
                         "rule": f"{rule} gives the bag-of-words phase a validation loss {lower}"}
    return kept.model, kept.record, kept.config, choices


def shown_value(value) -> str:
    """A chosen setting's value as the manifest's keys and the export log write it."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _pretrain_bag(model: keras.Model, config: TrainingConfig, data: tuple, verbose) -> dict:
    """Phase 1 of two-phase training (see TrainingConfig.pretrain_bag_epochs).

    A SimpleRNN trained jointly with its embedding memorises the training
    movies (validation from the same movies looks good, the test split does
    not); a mean of word embeddings generalises. So the embedding is learnt by
    the bag-of-words head alone, then frozen. An RNN over those vectors then
    trains on from the bag's classifier (zero weight on the RNN features at first);
    an RNN with word vectors of its own learns with a classifier of its own, and
    the two classifiers' logits are mixed (:func:`_mix`).
    """
    bag = _bag_model(model, config)
    record = _fit_phase(bag, config.with_overrides(learning_rate=config.pretrain_learning_rate), config.pretrain_bag_epochs, data, verbose)
    _start_from_bag(model, config, bag)
    return record


def _bag_model(model: keras.Model, config: TrainingConfig) -> keras.Model:
    """The bag-of-words part of ``model`` (its bags, their mean) with a classifier of its own."""
    bag_score = output_layer(config, "bag_score")
    return keras.Model(model.input, bag_score(model.get_layer(BAG_MEAN).output), name="bag_of_embeddings")


def _start_from_bag(model: keras.Model, config: TrainingConfig, bag: keras.Model) -> None:
    """Freeze the trained bags and start ``model``'s classifier from the bag's, with zero weight on the RNN."""
    for layer in model.layers:
        if layer.name in BAG_EMBEDDINGS:
            layer.trainable = False
    kernel, bias = bag.layers[-1].get_weights()
    rnn_rows = np.zeros((config.rnn_units, config.outputs), dtype=kernel.dtype)
    model.get_layer(OUTPUT_NAME).set_weights([np.concatenate([kernel, rnn_rows]), bias])


def write_history(record: dict, out_dir: Path, title: str = "") -> list[Path]:
    """Write ``history.json`` and a PNG of loss and accuracy curves into ``out_dir``.

    Train is blue and validation orange in every phase; a two-phase run draws a
    dashed line where the second phase starts and marks each phase's best epoch
    (the weights kept) with a labelled dotted line.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    json_path = out_dir / HISTORY_NAME
    json_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    phases = [("", record)]
    if "pretrain_bag" in record:
        second = "RNN" if "rnn_weight" in record["rnn_phase"] else "full model"  # (its own word vectors, or the bag's)
        phases = [("bag of words", record["pretrain_bag"]), (second, record)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        _plot_phases(ax, phases, metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"cross-entropy {metric}" if metric == "loss" else metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(textwrap.fill(title or "training curves", 120), fontsize=10)
    fig.tight_layout()
    png_path = out_dir / CURVES_NAME
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return [json_path, png_path]


def _plot_phases(ax, phases: list[tuple[str, dict]], metric: str) -> None:
    offset = 0
    for number, (name, phase) in enumerate(phases):
        epochs = range(offset + 1, offset + len(phase["loss"]) + 1)
        first = number == 0
        ax.plot(epochs, phase[metric], "o-", color="tab:blue", markersize=3, label="train" if first else None)
        ax.plot(epochs, phase[f"val_{metric}"], "s-", color="tab:orange", markersize=3, label="validation" if first else None)
        if offset:
            ax.axvline(offset + 0.5, color="black", linestyle="--", linewidth=1)
        best = offset + phase["best_epoch"]
        ax.axvline(best, color="grey", linestyle=":")
        label = f"best {name} epoch ({phase['best_epoch']})" if name else f"best epoch ({phase['best_epoch']})"
        ax.annotate(label, xy=(best, 1), xycoords=("data", "axes fraction"), xytext=(2, -12),
                    textcoords="offset points", fontsize=7, color="dimgrey", rotation=90, va="top")
        if name:
            ax.annotate(f"phase {number + 1}: {name}", xy=(offset + 1, 0), xycoords=("data", "axes fraction"),
                        xytext=(0, 4), textcoords="offset points", fontsize=7)
        offset += len(phase["loss"])
