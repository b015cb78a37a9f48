import numpy as np

from edge_sentiment.metrics import binary_metrics


def test_metrics_by_hand():
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    scores = np.array([0.9, 0.6, 0.2, 0.1, 0.7, 0.3, 0.5, 0.49])
    m = binary_metrics(labels, scores)
    # predicted positive (>= 0.5): idx 0, 1, 4, 6 -> tp 2, fp 2, fn 2, tn 2
    assert m["confusion_matrix"] == [[2, 2], [2, 2]]
    assert m["accuracy"] == 0.5 and m["precision"] == 0.5 and m["recall"] == 0.5 and m["f1"] == 0.5
    assert m["texts"] == 8


def test_threshold_moves_the_decision():
    m = binary_metrics(np.array([1, 0]), np.array([0.7, 0.6]), threshold=0.65)
    assert m["accuracy"] == 1.0


def test_no_positive_predictions_gives_zero_precision_not_an_error():
    m = binary_metrics(np.array([1, 0]), np.array([0.1, 0.2]))
    assert m["precision"] == 0.0 and m["f1"] == 0.0
