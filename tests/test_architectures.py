"""The model variants beyond the plain RNN: a windowed RNN, hashed word pairs in
the bag, and the multi-hot dense seed. Each is exported through the real
exporter (its parity gate compares Keras with ONNX, TFLite and NumPy), then
scored through the runtime with leading padding cut off in different places."""

import numpy as np
import pytest

from edge_sentiment import SentimentClassifier
from edge_sentiment.backends import load_backend
from edge_sentiment.bundle import load_bundle
from edge_sentiment.pairs import MAX_VOCAB_SIZE, pair_ids

pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
pytest.importorskip("ai_edge_litert", reason="the bundle's TFLite file is checked with the 'tflite' extra")

from edge_sentiment_export.config import get_preset  # noqa: E402
from edge_sentiment_export.data import load_imdb  # noqa: E402
from edge_sentiment_export.exporter import export_bundle  # noqa: E402

VARIANTS = {
    "windowed-rnn-with-pairs": dict(head="mean_with_bag", rnn_window=9, pair_buckets=31, pair_dim=2, pretrain_bag_epochs=1,
                                    rnn_embedding_dim=6),
    "smoothed-bags-snippets-calibrated": dict(head="mean_with_bag", rnn_window=9, pair_buckets=31, pair_dim=2,
                                               pretrain_bag_epochs=1, bag_prior=6.0, bag_power=0.5, short_snippets=2,
                                               calibration="platt"),
    "windowed-rnn-last": dict(head="last", rnn_window=9),
    "multi-hot-dense": dict(architecture="multi_hot_dense", dense_units=(6, 5)),
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def exported(request, tmp_path_factory):
    from conftest import write_tiny_imdb

    root = tmp_path_factory.mktemp(request.param)
    data = load_imdb(write_tiny_imdb(root / "data"))
    config = get_preset("quick").with_overrides(maxlen=24, **VARIANTS[request.param])
    out = root / "bundle"
    manifest = export_bundle(config, data, out, command="test", log=lambda _: None)
    return out, manifest, config


def test_every_backend_matches_keras_in_the_export(exported):
    _, manifest, _ = exported
    for backend in ("onnx", "tflite", "numpy"):
        parity = manifest["metrics"]["parity_vs_keras"][backend]
        assert parity["max_abs_diff"] <= 1e-5 and parity["label_mismatches"] == 0, backend


def test_backends_agree_on_rows_with_any_amount_of_padding(exported):
    """Rows of 0..maxlen tokens, scored one per call (trimmed to their own length)
    and all at once: crosses the RNN window and the empty-pair case (one token)."""
    out, _, config = exported
    bundle = load_bundle(out)
    rng = np.random.default_rng(7)
    rows = np.zeros((config.maxlen + 1, config.maxlen), dtype=np.int32)
    for length in range(config.maxlen + 1):
        rows[length, config.maxlen - length :] = rng.integers(1, config.num_words, size=length)
    reference = load_backend("tflite", bundle)(rows)  # fixed shape: never trimmed
    for backend in ("onnx", "numpy"):
        predict = load_backend(backend, bundle)
        one_by_one = np.concatenate([predict(row[None]) for row in rows])
        np.testing.assert_allclose(one_by_one, reference, atol=1e-5, err_msg=backend)
        np.testing.assert_allclose(predict(rows), reference, atol=1e-5, err_msg=backend)
        if config.head == "mean_with_bag":  # and a text's unpadded ids, where a backend has that path
            assert predict.one is not None, backend
            for row, expected in zip(rows, reference):
                kept = row[row != 0] if (row != 0).sum() >= predict.one_min_steps else None
                if kept is not None:
                    np.testing.assert_allclose(predict.one(kept), expected, atol=1e-5, err_msg=f"{backend}, {len(kept)} ids")


def test_manifest_describes_the_architecture(exported):
    out, manifest, config = exported
    model = manifest["model"]
    assert model["architecture"] == config.architecture
    if config.architecture == "rnn":
        assert (model["rnn_window"], model["pair_buckets"]) == (config.rnn_window, config.pair_buckets)
        assert model.get("bag_power", 1.0) == config.bag_power
        assert model["onnx_recurrent_op"] == "RNN"
        assert model["onnx_graph"] == ("lean" if config.head == "mean_with_bag" else "fused")
    else:
        assert model["dense_units"] == list(config.dense_units) and model["onnx_graph"] == "as-converted"
    assert SentimentClassifier.load(out, backend="numpy").predict("great film").label in ("positive", "negative")


def test_multi_hot_counts_each_word_once():
    """The multi-hot seed sees which words occur, not how often."""
    from edge_sentiment_export.model import build_model

    config = get_preset("quick").with_overrides(architecture="multi_hot_dense", maxlen=8, num_words=20, dense_units=(4,))
    model = build_model(config)
    once = np.array([[0, 0, 0, 0, 0, 5, 7, 9]], dtype=np.int32)
    repeated = np.array([[0, 9, 5, 5, 7, 9, 9, 5]], dtype=np.int32)
    np.testing.assert_allclose(model.predict(repeated, verbose=0), model.predict(once, verbose=0), atol=1e-6)
    assert not np.allclose(model.predict(np.array([[0] * 7 + [5]], dtype=np.int32), verbose=0), model.predict(once, verbose=0))


def test_pair_ids_mark_pairs_with_padding_as_none():
    ids = np.array([[0, 0, 1, 4, 4], [3, 5, 0, 0, 0]], dtype=np.int32)
    pairs = pair_ids(ids, vocab_size=10, buckets=7)
    assert pairs.shape == (2, 4)
    np.testing.assert_array_equal(pairs[0, :2], 0)  # (pad, pad), (pad, start)
    np.testing.assert_array_equal(pairs[1, 1:], 0)
    assert pairs[0, 2] == 1 + (1 * 10 + 4) % 6 and pairs[0, 3] == 1 + (4 * 10 + 4) % 6
    assert ((pairs >= 0) & (pairs < 7)).all()
    with pytest.raises(ValueError, match="int32"):
        pair_ids(ids, vocab_size=MAX_VOCAB_SIZE + 1, buckets=7)


def test_bag_models_get_a_checked_single_text_graph(exported):
    """The exporter writes model.single.onnx only where it reproduces the model, and
    checks it one review per call like every other file."""
    out, manifest, config = exported
    has_graph = config.head == "mean_with_bag"
    assert ("onnx_single" in manifest["files"]) == has_graph == ("single_text" in manifest["model"])
    assert ("onnx-one-per-call" in manifest["metrics"]["parity_vs_keras"]) == has_graph
    if has_graph:
        assert manifest["model"]["single_text"]["min_steps"] == 2  # hashed pairs need two ids
        assert manifest["metrics"]["parity_vs_keras"]["onnx-one-per-call"]["max_abs_diff"] <= 1e-5
        assert load_bundle(out).io.single_text_min_steps == 2


def test_the_recurrent_phase_is_kept_only_when_it_beats_the_bag_on_validation(exported):
    out, manifest, config = exported
    if not config.pretrain_bag_epochs:
        pytest.skip("no bag phase in this variant")
    phase = manifest["training"]["rnn_phase"]
    if config.rnn_embedding_dim:  # its own word vectors: mixed in at the best share, only if clearly lower
        from edge_sentiment_export.train import RNN_MARGIN, RNN_MIN_T

        clearly_lower = phase["val_loss_rnn"] <= (1 - RNN_MARGIN) * phase["val_loss_bag"] and phase["gain_t"] >= RNN_MIN_T
        assert phase["kept"] == ("rnn" if clearly_lower else "bag")
        assert phase["kept"] == "bag" or phase["val_loss_rnn"] == min(phase["validation_loss"].values())
        assert (phase["kept"] == "rnn") == (phase["rnn_weight"] > 0)
    else:  # the bag's vectors, trained on from the bag's classifier
        assert phase["kept"] == ("rnn" if phase["val_loss_rnn"] < phase["val_loss_bag"] else "bag")
    expected = phase["val_accuracy_rnn"] if phase["kept"] == "rnn" else phase["val_accuracy_bag"]
    assert manifest["training"]["best_val_accuracy"] == pytest.approx(expected, abs=1e-5)
    if phase["kept"] == "bag":  # the RNN's rows of the final layer stay zero: the bag alone decides
        with np.load(out / "weights.npz") as weights:
            assert not weights["dense_kernel"][-config.rnn_units:].any()


def test_the_kept_model_mixes_the_bag_and_rnn_logits_in_one_dense_layer():
    """Phase 2's mix (export/train.py): the model's logit is (1 - share) x the bag model's plus
    share x the RNN's own classifier's, so the exported model is the same one Dense layer."""
    import keras

    from edge_sentiment_export.model import build_model, output_layer
    from edge_sentiment_export.train import _rnn_model, _set_mix

    config = get_preset("default").with_overrides(maxlen=12, num_words=50, pair_buckets=0, rnn_embedding_dim=3,
                                                  rnn_window=0, rnn_units=4, embedding_dim=5, bag_prior=0.0)
    keras.utils.set_random_seed(1)
    model = build_model(config)
    bag = keras.Model(model.input, output_layer(config, "bag_score")(model.get_layer("bag_mean").output))
    rnn = _rnn_model(model, config)
    bag_kernel = np.linspace(-1, 1, 5, dtype=np.float32)[:, None]
    bag.get_layer("bag_score").set_weights([bag_kernel, np.array([0.3], np.float32)])
    rnn.get_layer("rnn_score").set_weights([np.linspace(-2, 2, 4, dtype=np.float32)[:, None], np.array([-0.2], np.float32)])
    bag_weights = [np.concatenate([bag_kernel, np.zeros((4, 1), np.float32)]), np.array([0.3], np.float32)]
    rows = np.random.default_rng(0).integers(0, 50, size=(16, 12)).astype(np.int32)

    def logit(m):
        p = m.predict(rows, verbose=0).astype(np.float64)
        return np.log(p / (1 - p))

    for share in (0.0, 0.3, 1.0):
        _set_mix(model, bag_weights, rnn, config, share)
        np.testing.assert_allclose(logit(model), (1 - share) * logit(bag) + share * logit(rnn), atol=2e-4)


def test_the_recurrent_phase_choice_rule():
    from edge_sentiment_export.train import _rnn_phase_choice

    record = {"val_loss": [0.52, 0.50, 0.55], "best_epoch": 2, "best_val_accuracy": 0.8}
    assert _rnn_phase_choice(record, bag_loss=0.51, bag_accuracy=0.79)["kept"] == "rnn"
    assert _rnn_phase_choice(record, bag_loss=0.49, bag_accuracy=0.81)["kept"] == "bag"
    assert _rnn_phase_choice(record, bag_loss=0.49, bag_accuracy=0.79, stop_on="val_accuracy")["kept"] == "rnn"


@pytest.mark.parametrize("task, labels", [("binary", 2), ("multiclass", 3), ("multilabel", 4)])
def test_the_texts_losses_average_to_the_loss_keras_reports(task, labels):
    """The mix's standard errors come from each validation text's loss: their mean is the
    validation loss the choice compares (Keras' own, as compiled for the task)."""
    import keras

    from edge_sentiment_export.model import build_model
    from edge_sentiment_export.train import _text_losses, _validation_loss_and_accuracy

    config = get_preset("default").with_overrides(maxlen=10, num_words=40, pair_buckets=0, rnn_units=3, embedding_dim=4,
                                                  rnn_embedding_dim=0, task=task, num_labels=labels)
    keras.utils.set_random_seed(2)
    model = build_model(config)
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 40, size=(50, 10)).astype(np.int32)
    truth = {"binary": rng.integers(0, 2, 50), "multiclass": rng.integers(0, 3, 50),
             "multilabel": rng.integers(0, 2, (50, 4))}[task].astype(np.float32)
    per_text = _text_losses(model, config, rows, truth)
    assert per_text.shape == (50,) and (per_text > 0).all()
    assert per_text.mean() == pytest.approx(_validation_loss_and_accuracy(model, config, rows, truth)[0], rel=1e-4)


def test_a_gain_counts_in_standard_errors():
    from edge_sentiment_export.train import _t_statistic

    assert _t_statistic(np.array([0.1, 0.3])) == pytest.approx(0.2 / (np.std([0.1, 0.3], ddof=1) / np.sqrt(2)))
    assert _t_statistic(np.full(9, 0.02)) == 0.0 and _t_statistic(np.array([0.5])) == 0.0  # no spread to measure
    noise = np.random.default_rng(0).normal(0.001, 0.3, 400)  # a mean gain far below its noise
    assert abs(_t_statistic(noise)) < 2.0 <= _t_statistic(noise + 0.05)
