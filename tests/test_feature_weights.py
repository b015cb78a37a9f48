"""Naive-Bayes feature weights: the scales' arithmetic, folding them into the embeddings (the
exported model must be the function that was trained), and the choice a --train export records."""

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training needs the 'train' extra")

from edge_sentiment_export.config import get_preset  # noqa: E402
from edge_sentiment_export.feature_weights import bag_scales, log_count_ratio_scales  # noqa: E402
from edge_sentiment_export.layers import PAIR_EMBEDDING, SUBWORD_EMBEDDING, WORD_EMBEDDING  # noqa: E402
from edge_sentiment_export.model import build_model, plain_copy  # noqa: E402


def two_classes(positive):
    positive = np.asarray(positive, dtype=np.float64)
    return np.stack([1 - positive, positive], axis=1)


def test_a_feature_of_one_class_weighs_its_log_count_ratio():
    """Id 3 only in the two positive texts, id 4 only in the two negative ones: with one added
    to every count, r = log((2 + 1) / 7) - log(1 / 7) = log 3 for both, which is their mean (1)."""
    ids = np.array([[0, 3], [0, 3], [0, 4], [0, 4]])
    scales = log_count_ratio_scales(ids, two_classes([1, 1, 0, 0]), size=5)
    np.testing.assert_allclose(scales, [0, 0, 0, 1, 1], atol=1e-7)  # padding and unseen ids: 0


def test_a_feature_in_every_text_tells_nothing_and_repeats_count_once():
    ids = np.array([[3, 5, 5], [3, 5, 0], [4, 5, 0], [4, 5, 5]])
    scales = log_count_ratio_scales(ids, two_classes([1, 1, 0, 0]), size=6)
    assert scales[5] == pytest.approx(0.0, abs=1e-7) and scales[3] == scales[4] > 1
    occurring = ids[ids != 0]
    assert scales[occurring].mean() == pytest.approx(1.0)


def test_less_smoothing_lets_a_rare_feature_start_louder():
    """Id 3 in one positive text, id 4 in three: with less added to every count, the rare one's
    ratio grows against the frequent one's (TrainingConfig.feature_smoothing)."""
    ids = np.array([[3, 4], [4, 0], [4, 0], [5, 0], [5, 0], [6, 0]])
    classes = two_classes([1, 1, 1, 0, 0, 0])
    smoothed, sharp = (log_count_ratio_scales(ids, classes, 7, smoothing) for smoothing in (1.0, 0.25))
    assert sharp[3] / sharp[4] > smoothed[3] / smoothed[4] > 0
    with pytest.raises(ValueError, match="feature_smoothing must be > 0"):
        get_preset("default").with_overrides(feature_smoothing=0.0)


def test_counting_in_blocks_of_rows_gives_the_scales_of_one_pass(monkeypatch):
    import edge_sentiment_export.feature_weights as feature_weights

    rng = np.random.default_rng(5)
    ids, classes = rng.integers(0, 200, size=(300, 12)), np.eye(3)[rng.integers(0, 3, 300)]
    whole = log_count_ratio_scales(ids, classes, 200)
    monkeypatch.setattr(feature_weights, "CHUNK_ROWS", 7)
    np.testing.assert_array_equal(log_count_ratio_scales(ids, classes, 200), whole)


@pytest.fixture
def bag_config():
    return get_preset("default").with_overrides(
        num_words=50, maxlen=7, pair_buckets=31, subword_min_n=3, subword_max_n=5, subword_buckets=63,
        subword_slots=11, subword_dim=4, bag_prior=2.0, bag_power=0.5, rnn_window=4, feature_weights="log_count_ratio")


def rows_of(config, count, seed=0):
    rng = np.random.default_rng(seed)
    words = rng.integers(3, config.num_words, size=(count, config.maxlen))
    subwords = rng.integers(1, config.subword_buckets + 1, size=(count, config.subword_slots))
    for row, length in enumerate(rng.integers(0, config.maxlen + 1, size=count)):  # leading padding, any amount
        words[row, : config.maxlen - length] = 0
        subwords[row, : config.subword_slots - 2 * length] = 0
    return np.concatenate([words, subwords], axis=1).astype(np.int32)


def test_two_labels_weigh_the_same_as_binary_targets_or_as_two_label_columns(bag_config):
    x, y = rows_of(bag_config, 80), np.random.default_rng(3).integers(0, 2, 80)
    binary = bag_scales(bag_config, x, y.astype(np.float32))
    columns = bag_scales(bag_config.with_overrides(task="multilabel"), x, np.stack([1 - y, y], axis=1).astype(np.float32))
    for name, scales in binary.items():
        assert scales.dtype == np.float32 and np.all(scales >= 0)
        np.testing.assert_allclose(columns[name], scales, rtol=1e-6)


@pytest.mark.parametrize("task, labels", [("binary", 2), ("multiclass", 3), ("multilabel", 4)])
def test_the_scales_fold_into_the_embeddings_exactly(bag_config, task, labels):
    config = bag_config.with_overrides(task=task, num_labels=labels)
    x = rows_of(config, 64)
    rng = np.random.default_rng(1)
    y = {"binary": rng.integers(0, 2, 64).astype(np.float32), "multiclass": rng.integers(0, 3, 64),
         "multilabel": (rng.random((64, 4)) < 0.3).astype(np.float32)}[task]
    scales = bag_scales(config, x, y)
    assert set(scales) == {WORD_EMBEDDING, PAIR_EMBEDDING, SUBWORD_EMBEDDING}
    assert [len(s) for s in scales.values()] == [config.num_words, config.pair_buckets, config.subword_buckets + 1]
    scaled = build_model(config, scales=scales)
    for layer in scaled.layers:  # trained-looking weights (the scales stay as given)
        if not layer.name.endswith("_scales"):
            layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    plain = plain_copy(scaled, config, scales)
    assert not any(layer.name.endswith("_scales") for layer in plain.layers)
    rows = rows_of(config, 200, seed=2)
    np.testing.assert_allclose(plain.predict(rows, verbose=0), scaled.predict(rows, verbose=0), atol=1e-6)


def test_feature_weights_need_a_bag_of_embeddings():
    with pytest.raises(ValueError, match="feature_weights needs head 'mean_with_bag'"):
        get_preset("quick").with_overrides(head="last", feature_weights="log_count_ratio")
    with pytest.raises(ValueError, match="feature_weights must be one of"):
        get_preset("default").with_overrides(feature_weights="idf")
