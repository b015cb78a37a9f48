"""Short texts and calibration: the metrics, the snippets, and Platt/temperature folded into the model."""

import numpy as np
import pytest

from edge_sentiment.metrics import calibration_metrics, evaluation_report


def test_calibration_metrics_by_hand():
    labels = np.array([1, 0, 1, 1])
    scores = np.array([0.95, 0.05, 0.65, 0.0005])
    m = calibration_metrics(labels, scores)
    # bins: 0.0005 and 0.05 in bin 0 (mean 0.02525, positives 0.5), 0.65 in bin 6, 0.95 in bin 9
    expected_ece = 0.5 * abs(0.02525 - 0.5) + 0.25 * abs(0.65 - 1) + 0.25 * abs(0.95 - 1)
    assert m["ece"] == pytest.approx(expected_ece)
    assert m["brier"] == pytest.approx(np.mean([0.05**2, 0.05**2, 0.35**2, 0.9995**2]))
    assert m["nll"] == pytest.approx(-np.mean(np.log([0.95, 0.95, 0.65, 0.0005])))
    assert m["saturated"] == 0.25


def test_evaluation_report_buckets_by_token_count():
    report = evaluation_report([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6], [3, 10, 11, 500])
    assert report["accuracy"] == 0.5
    assert report["by_length"]["<=10"] == {"texts": 2, "accuracy": 1.0, "ece": pytest.approx(0.15)}
    assert report["by_length"]["11-50"]["texts"] == 1 and report["by_length"]["11-50"]["accuracy"] == 0.0
    assert report["by_length"]["51-200"] == {"texts": 0, "accuracy": None, "ece": None}
    assert report["by_length"][">200"]["texts"] == 1


def test_sentences_and_snippets_keep_their_review_label():
    from edge_sentiment_export.data import Split
    from edge_sentiment_export.snippets import sentences, short_text_set, training_snippets

    review = "A fine film. The cast is superb!<br /><br />But the end drags on and on? Yes."
    assert sentences(review, 2, 25) == ["A fine film.", "The cast is superb!", "But the end drags on and on?"]
    reviews = Split([review, "Dull. Boring and long, truly a waste."], [1, 0])
    snippets = training_snippets(reviews, per_text=2, max_tokens=25, seed=0)
    assert len(snippets.texts) == 3 and snippets.labels.count(1) == 2 and snippets.labels.count(0) == 1
    assert all(text in review for text, label in zip(snippets.texts, snippets.labels) if label == 1)
    short = short_text_set(reviews, size=10, seed=0)
    assert short.texts == ["A fine film.", "But the end drags on and on?", "Boring and long, truly a waste."]
    assert short.labels == [1, 1, 0]
    assert short_text_set(reviews, 10, 0) == short  # made the same way every time


def test_fitted_platt_parameters_recover_the_ones_that_made_the_labels():
    from edge_sentiment_export.calibration import fit_calibration

    rng = np.random.default_rng(0)
    z = rng.normal(0, 4, size=40_000)
    labels = rng.random(z.size) < 1 / (1 + np.exp(-(0.4 * z - 0.3)))
    platt = fit_calibration("platt", z, labels)
    assert platt.scale == pytest.approx(0.4, abs=0.02) and platt.shift == pytest.approx(-0.3, abs=0.05)
    temperature = fit_calibration("temperature", z, labels)
    assert temperature.shift == 0.0 and 0.3 < temperature.scale < 0.5
    assert fit_calibration("none", z, labels).scale == 1.0


def test_folding_calibrates_the_keras_model_itself():
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export import config as C
    from edge_sentiment_export.calibration import Calibration, fold_into, logits
    from edge_sentiment_export.model import build_model

    config = C.get_preset("quick").with_overrides(num_words=50, maxlen=12)
    model = build_model(config)
    ids = np.random.default_rng(1).integers(0, 50, size=(64, 12)).astype(np.int32)
    z = logits(model, ids)[:, 0]
    np.testing.assert_allclose(model.predict(ids, verbose=0).reshape(-1), 1 / (1 + np.exp(-z)), atol=1e-6)
    fold_into(model, Calibration("platt", 3.0, -0.5))
    np.testing.assert_allclose(model.predict(ids, verbose=0).reshape(-1), 1 / (1 + np.exp(-(3 * z - 0.5))), atol=1e-6)


@pytest.mark.parametrize("method", ["temperature", "platt"])
def test_a_calibration_is_kept_only_when_it_lowers_validation_ece(method):
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export.calibration import _sigmoid, choose_calibration

    outcomes = set()
    for seed in range(40):
        rng = np.random.default_rng(seed)
        z = rng.normal(0, rng.uniform(0.2, 4), size=rng.integers(20, 200))
        y = (rng.random(len(z)) < _sigmoid(rng.uniform(0.3, 3) * z)).astype(float)
        fitted, kept = choose_calibration(method, z, y)
        before = calibration_metrics(y, _sigmoid(z))["ece"]
        after = calibration_metrics(y, _sigmoid(fitted.scale * z + fitted.shift))["ece"]
        assert kept == (after < before)
        outcomes.add(kept)
    assert outcomes == {True, False}  # small sets where the log-loss fit makes ECE worse exist


def test_logits_that_separate_the_validation_labels_are_left_uncalibrated():
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export.calibration import choose_calibration, fit_temperature, separates

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 60)
    z = np.where(y == 1, 1.0, -1.0) * rng.uniform(0.1, 2, 60)  # right side, underconfident
    shifted = z + 5.0  # every positive still above every negative, but all on one side of 0
    assert separates("temperature", z, y) and separates("platt", z, y) and separates("platt", shifted, y)
    assert not separates("temperature", shifted, y)
    assert separates("platt", -np.abs(z), np.zeros(60))  # a label no validation row holds
    for method in ("temperature", "platt"):
        fitted, kept = choose_calibration(method, z, y)
        assert not kept and (fitted.scale, fitted.shift) == (1.0, 0.0)
    z[0] = -z[0]  # one row on the wrong side: a finite fit exists again
    assert not separates("temperature", z, y) and not separates("platt", z, y)
    assert choose_calibration("temperature", z, y)[0].scale > 1.0

    classes = rng.integers(0, 3, 60)
    softmax_logits = rng.normal(size=(60, 3))
    softmax_logits[np.arange(60), classes] += 4.0
    assert separates("temperature", softmax_logits, classes)
    assert fit_temperature(softmax_logits, classes) == pytest.approx(50.0)  # the search's bound: no minimum
    softmax_logits[0, classes[0]] -= 20.0
    assert not separates("temperature", softmax_logits, classes)


def test_evaluation_report_has_each_class_and_the_macro_f1():
    report = evaluation_report([1, 0, 1, 0, 0], [0.9, 0.2, 0.4, 0.6, 0.1], [3] * 5, names=("ham", "spam"))
    # predicted [1, 0, 0, 1, 0]: spam P 1/2 R 1/2; ham P 2/3 R 2/3
    assert report["per_class"]["spam"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert report["per_class"]["ham"]["f1"] == pytest.approx(2 / 3) and report["per_class"]["ham"]["support"] == 3
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2) and report["majority_baseline"] == 0.6


def test_a_softmax_temperature_is_recovered_from_overconfident_logits():
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export.calibration import fit_temperature

    rng = np.random.default_rng(3)
    true_logits = rng.normal(size=(20000, 4)) * 1.5
    p = np.exp(true_logits) / np.exp(true_logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=row) for row in p])
    assert fit_temperature(true_logits * 2.0, labels) == pytest.approx(0.5, rel=0.05)


def test_multilabel_thresholds_maximise_the_validation_micro_f1():
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export.thresholds import CANDIDATES, fit_thresholds

    rng = np.random.default_rng(4)
    truth = rng.random((4000, 3)) < np.array([0.5, 0.1, 0.0])
    scores = np.where(truth, rng.uniform(0.3, 1.0, truth.shape), rng.uniform(0.0, 0.35, truth.shape))
    # A rare label whose scores overlap: its own F1 is best at a low threshold that lets
    # through many wrong texts; the micro-F1 over all labels is best higher.
    scores[:, 1] = np.clip(np.where(truth[:, 1], rng.normal(0.3, 0.12, 4000), rng.normal(0.2, 0.12, 4000)), 0, 1)
    thresholds, record = fit_thresholds(scores, truth)

    def micro_f1(chosen):
        predicted = scores >= np.asarray(chosen)
        tp = np.sum(predicted & truth)
        return 2 * tp / (2 * tp + np.sum(predicted ^ truth))

    def own_f1(k, t):
        predicted = scores[:, k] >= t
        tp = np.sum(predicted & truth[:, k])
        return 2 * tp / (2 * tp + np.sum(predicted ^ truth[:, k]))

    common = max(CANDIDATES, key=lambda t: (micro_f1([t] * 3), -abs(t - 0.5)))
    each_alone = [max(CANDIDATES, key=lambda t: own_f1(k, t)) for k in (0, 1)] + [0.5]
    assert thresholds[2] == common  # never seen in validation: the common threshold
    assert 0.3 <= thresholds[0] <= 0.375
    assert thresholds[1] > each_alone[1]
    assert micro_f1(thresholds) >= micro_f1([common] * 3)
    assert micro_f1(thresholds) > micro_f1(each_alone)
    assert record["validation_micro_f1"] == round(micro_f1(thresholds), 4) >= record["validation_micro_f1_at_0.5"]


def test_a_label_few_validation_texts_hold_keeps_the_common_threshold():
    """Moved for 30 texts, a label's threshold would follow those texts (docs/design.md, "Label
    sets"); from MIN_POSITIVES texts on it gets its own."""
    pytest.importorskip("tensorflow", reason="needs the 'train' extra")
    from edge_sentiment_export.thresholds import MIN_POSITIVES, fit_thresholds

    rng = np.random.default_rng(5)
    truth = np.zeros((2000, 3), dtype=bool)
    truth[:, 0] = rng.random(2000) < 0.5
    truth[:, 2] = ~truth[:, 0]
    scores = np.where(truth, rng.uniform(0.55, 1.0, truth.shape), rng.uniform(0.0, 0.45, truth.shape))
    for positives, moves in ((MIN_POSITIVES - 10, False), (MIN_POSITIVES + 10, True)):
        truth[:, 1] = False
        truth[:positives, 1] = True  # a label whose texts score low: its best threshold is far below the common one
        scores[:, 1] = np.where(truth[:, 1], rng.uniform(0.1, 0.2, 2000), rng.uniform(0.0, 0.1, 2000))
        thresholds, record = fit_thresholds(scores, truth, min_labels=1)
        assert (thresholds[1] != thresholds[0]) == moves, (positives, thresholds)
        assert record["labels_fitted_one_by_one"] == 2 + moves


def test_a_model_certain_and_right_everywhere_has_a_log_loss_of_zero_not_minus_zero():
    from edge_sentiment.metrics import multiclass_metrics

    certain = multiclass_metrics(np.array([0, 2, 1]), np.eye(3)[[0, 2, 1]], ("a", "b", "c"))
    assert f"{certain['nll']:.4f}" == "0.0000" and certain["accuracy"] == 1.0
