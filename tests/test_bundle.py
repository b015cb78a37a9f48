import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_sentiment import BundleError, Prediction, SentimentClassifier, load_bundle
from edge_sentiment.bundle import sha256_file
from conftest import needs_presets

ROOT = Path(__file__).resolve().parent.parent


def edit_manifest(bundle, change):
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def rehash(bundle, key):
    """Record the current sha256 and size of files[key] (to test what happens past the checksum)."""
    def change(manifest):
        entry = manifest["files"][key]
        entry["sha256"] = sha256_file(bundle / entry["path"])
        entry["bytes"] = (bundle / entry["path"]).stat().st_size
    edit_manifest(bundle, change)


def test_default_bundle_loads_and_predicts():
    clf = SentimentClassifier.load()
    result = clf.predict("great film")
    assert isinstance(result, Prediction) and result.label in ("positive", "negative")
    assert 0.0 <= result.score <= 1.0
    assert result.label == ("positive" if result.score >= 0.5 else "negative")


def test_predict_batch_and_proba_agree(bundle_copy):
    clf = SentimentClassifier.load(bundle_copy)
    texts = ["great film", "a dull, lifeless film", ""]
    proba = clf.predict_proba(texts)
    assert proba.shape == (3,) and proba.dtype == np.float32
    assert [p.score for p in clf.predict_batch(texts)] == pytest.approx(proba.tolist())
    assert clf.predict_proba([]).shape == (0,)


def test_large_batches_keep_input_order(bundle_copy):
    # Long and short reviews interleaved: scoring sorts by length internally.
    clf = SentimentClassifier.load(bundle_copy)
    texts = [("great film " * (i % 97)) + ("awful plot " * (i % 13)) for i in range(700)]
    one_by_one = np.array([clf.predict(t).score for t in texts], dtype=np.float32)
    np.testing.assert_allclose(clf.predict_proba(texts), one_by_one, atol=1e-6)


def test_threshold_decides_the_label(bundle_copy):
    score = SentimentClassifier.load(bundle_copy).predict("great film").score
    assert SentimentClassifier.load(bundle_copy, threshold=0.0).predict("great film").label == "positive"
    assert SentimentClassifier.load(bundle_copy, threshold=1.0).predict("great film").label == (
        "positive" if score >= 1.0 else "negative"
    )
    with pytest.raises(ValueError, match="threshold"):
        SentimentClassifier.load(bundle_copy, threshold=1.5)


def test_unknown_backend_lists_the_choices(bundle_copy):
    with pytest.raises(ValueError, match="choose one of: onnx, tflite, numpy"):
        SentimentClassifier.load(bundle_copy, backend="torch")


@pytest.mark.parametrize("bad", [None, b"bytes", 3, ["a list"]])
def test_non_string_text_is_a_type_error(bad):
    clf = SentimentClassifier.load()
    with pytest.raises(TypeError, match="text must be str"):
        clf.predict(bad)
    with pytest.raises(TypeError, match="text must be str"):
        clf.predict_batch(["fine", bad])


def test_a_list_given_as_one_text_is_pointed_to_the_batch_calls():
    with pytest.raises(TypeError, match=r"got list; several texts go to predict_batch\(texts\) or predict_proba\(texts\)"):
        SentimentClassifier.load().predict(["great film", "awful"])
    with pytest.raises(TypeError, match=r"got bytes; decode bytes with .decode\('utf-8'\) first"):
        SentimentClassifier.load().predict(b"great film")


def test_a_single_string_is_not_a_list_of_texts():
    with pytest.raises(TypeError, match="single string"):
        SentimentClassifier.load().predict_proba("great film")


def test_not_a_directory(tmp_path):
    with pytest.raises(BundleError, match="not a directory"):
        load_bundle(tmp_path / "nowhere")


def test_missing_manifest(bundle_copy):
    (bundle_copy / "manifest.json").unlink()
    with pytest.raises(BundleError, match="manifest.json is missing"):
        load_bundle(bundle_copy)


def test_manifest_not_json(bundle_copy):
    (bundle_copy / "manifest.json").write_text("{ not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("field", ["format_version", "labels", "preprocessing", "model", "files"])
def test_manifest_missing_field(bundle_copy, field):
    edit_manifest(bundle_copy, lambda m: m.pop(field))
    with pytest.raises(BundleError, match=f"lacks required field.*{field}"):
        load_bundle(bundle_copy)


def test_unknown_format_version(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m.update(format_version=99))
    with pytest.raises(BundleError, match="format_version 99 is unknown; this edge-sentiment reads format_version 1, 2"):
        load_bundle(bundle_copy)


def test_missing_preprocessing_parameter(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["preprocessing"].pop("maxlen"))
    with pytest.raises(BundleError, match="preprocessing.maxlen must be an integer from 1 to 100000, got None"):
        load_bundle(bundle_copy)


def test_unknown_tokenizer(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["preprocessing"].update(tokenizer="bert"))
    with pytest.raises(BundleError, match="preprocessing.tokenizer must be one of edge-sentiment-v1, edge-sentiment-v2; got 'bert'"):
        load_bundle(bundle_copy)


@pytest.mark.parametrize("key", ["onnx", "vocab"])
def test_missing_file(bundle_copy, key):
    name = json.loads((bundle_copy / "manifest.json").read_text())["files"][key]["path"]
    (bundle_copy / name).unlink()
    with pytest.raises(BundleError, match=f"{name} is missing"):
        SentimentClassifier.load(bundle_copy)


def test_changed_file_fails_its_checksum(bundle_copy):
    data = bytearray((bundle_copy / "model.onnx").read_bytes())
    data[-1] ^= 1
    (bundle_copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(BundleError, match="model.onnx has sha256 .* the manifest says"):
        SentimentClassifier.load(bundle_copy)


def test_a_file_of_another_size_is_refused(bundle_copy):
    size = (bundle_copy / "model.onnx").stat().st_size
    with open(bundle_copy / "model.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleError, match=f"model.onnx holds {size + 1:,} bytes, more than the {size:,} expected"):
        SentimentClassifier.load(bundle_copy)


@pytest.mark.parametrize("key, loader", [("onnx", "onnxruntime"), ("tflite", "LiteRT")])
def test_truncated_model_file(bundle_copy, key, loader):
    if key == "tflite":
        pytest.importorskip("ai_edge_litert", reason="needs the 'tflite' extra")
    path = bundle_copy / f"model.{key}"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    rehash(bundle_copy, key)
    with pytest.raises(BundleError, match=f"could not be loaded by {loader}"):
        SentimentClassifier.load(bundle_copy, backend=key)


def test_garbage_model_file(bundle_copy):
    (bundle_copy / "model.onnx").write_bytes(b"\x00\xff" * 100)
    rehash(bundle_copy, "onnx")
    with pytest.raises(BundleError, match="could not be loaded by onnxruntime"):
        SentimentClassifier.load(bundle_copy)


def test_vocabulary_larger_than_the_embedding_table(bundle_copy):
    vocab = json.loads((bundle_copy / "vocab.json").read_text())
    size = json.loads((bundle_copy / "manifest.json").read_text())["model"]["vocab_size"]
    vocab["zzzextra"] = size  # one id past the last embedding row
    (bundle_copy / "vocab.json").write_text(json.dumps(vocab))
    rehash(bundle_copy, "vocab")
    with pytest.raises(BundleError, match="outside .*embedding table"):
        load_bundle(bundle_copy)


def test_num_words_larger_than_the_embedding_table(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["preprocessing"].update(num_words=m["model"]["vocab_size"] + 1))
    with pytest.raises(BundleError, match="exceeds the model's embedding table"):
        load_bundle(bundle_copy)


def test_onnx_input_name_differs_from_manifest(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["model"]["input"].update(name="tokens"))
    with pytest.raises(BundleError, match=r"has inputs \['ids'\].*manifest says \['tokens'\]"):
        SentimentClassifier.load(bundle_copy)


def test_onnx_maxlen_differs_from_manifest(bundle_copy):
    def change(m):
        m["model"]["input"]["shape"][1] += 1
        m["model"]["single_review"]["max_steps"] += 1
        m["preprocessing"]["maxlen"] += 1
    edit_manifest(bundle_copy, change)
    with pytest.raises(BundleError, match="was exported for maxlen 500, the manifest says 501"):
        SentimentClassifier.load(bundle_copy)


def test_onnx_input_shape_differs_from_manifest(bundle_copy):
    # The shipped model takes a symbolic length (it trims leading padding); a
    # manifest that denies that expects a fixed length the model does not have.
    edit_manifest(bundle_copy, lambda m: m["model"]["input"].update(onnx_trims_leading_padding=False))
    with pytest.raises(BundleError, match=r"takes input shape \[.*'steps'\], the manifest says \[batch, 500\]"):
        SentimentClassifier.load(bundle_copy)


def test_model_io_mismatch_between_sections(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["preprocessing"].update(maxlen=3))
    with pytest.raises(BundleError, match=r"model.input.shape must be \[None, 3\], got a list of 2"):
        load_bundle(bundle_copy)


def test_file_entry_pointing_outside_the_bundle(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["files"]["onnx"].update(path="../elsewhere.onnx"))
    with pytest.raises(BundleError, match="points outside the bundle"):
        SentimentClassifier.load(bundle_copy)


@pytest.mark.parametrize("backend", ["tflite", "numpy"])
def test_other_backends_give_the_same_scores(bundle_copy, backend):
    if backend == "tflite":
        pytest.importorskip("ai_edge_litert", reason="needs the 'tflite' extra")
    texts = ["great film", "a dull, lifeless film", "", "ok"]
    onnx = SentimentClassifier.load(bundle_copy).predict_proba(texts)
    other = SentimentClassifier.load(bundle_copy, backend=backend).predict_proba(texts)
    np.testing.assert_allclose(onnx, other, atol=1e-5)


def test_numpy_weights_missing_an_array(bundle_copy):
    with np.load(bundle_copy / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files if k != "rnn_recurrent"}
    np.savez(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "numpy")
    with pytest.raises(BundleError, match="lacks the array rnn_recurrent"):
        SentimentClassifier.load(bundle_copy, backend="numpy")


def test_numpy_weights_refuse_pickled_objects(bundle_copy):
    with np.load(bundle_copy / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["embedding"] = np.array([{"not": "numbers"}], dtype=object)  # would need pickle to load
    np.savez(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "numpy")
    with pytest.raises(BundleError, match="could not be read as NumPy weights"):
        SentimentClassifier.load(bundle_copy, backend="numpy")


def test_one_text_per_call_equals_the_batch_graph_at_every_length():
    """The onnx backend sends a lone row to model.single.onnx: same scores as model.onnx
    on the same rows, for every text length, including those too short for it."""
    from edge_sentiment.backends import load_backend
    from edge_sentiment.encoding import pad_sequences

    bundle = load_bundle(None)
    assert bundle.io.single_text_min_steps == 2  # the shipped model has hashed pairs
    predict = load_backend("onnx", bundle)
    rng = np.random.default_rng(11)
    maxlen = bundle.io.maxlen
    sequences = [[1] + rng.integers(2, bundle.io.vocab_size, size=n - 1).tolist() for n in range(1, maxlen + 1)]
    ids = pad_sequences([[]] + sequences, maxlen)  # lengths 0 .. maxlen
    together = np.concatenate([predict(ids[i : i + 64]) for i in range(0, len(ids), 64)])
    one_by_one = np.concatenate([predict(row[None]) for row in ids])
    np.testing.assert_allclose(one_by_one, together, atol=1e-6)


def test_single_text_graph_is_optional(bundle_copy):
    """A bundle without model.single.onnx (older exports, other heads) scores through model.onnx."""
    def change(m):
        del m["files"]["onnx_single"]
        del m["model"]["single_review"]
    edit_manifest(bundle_copy, change)
    (bundle_copy / "model.single.onnx").unlink()
    expected = SentimentClassifier.load(None).predict("a gripping, well acted film").score
    assert SentimentClassifier.load(bundle_copy).predict("a gripping, well acted film").score == pytest.approx(expected, abs=1e-6)


def test_single_text_min_steps_must_be_a_positive_integer(bundle_copy):
    edit_manifest(bundle_copy, lambda m: m["model"]["single_review"].update(min_steps="two"))
    with pytest.raises(BundleError, match="single_text.min_steps must be an integer from 1 to 500, got 'two'"):
        load_bundle(bundle_copy)


def test_single_text_file_must_take_one_unpadded_review(bundle_copy):
    # The batch graph in the single-text slot: right names, wrong input shape.
    edit_manifest(bundle_copy, lambda m: m["files"]["onnx_single"].update(m["files"]["onnx"]))
    with pytest.raises(BundleError, match=r"this bundle's single-text graph takes \['ids'\] of shapes \[\['steps'\]\]"):
        SentimentClassifier.load(bundle_copy)


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_predict_one_text_equals_the_batch_path(backend):
    """predict(text) takes the single-text graph straight from the review's ids (onnx);
    it must score exactly as a batch holding that text, down to the empty text (one id)."""
    clf = SentimentClassifier.load(backend=backend)
    texts = ["", "ok", "great film", "not good, not good at all", "a " * 700 + "superb"]
    together = clf.predict_proba(texts + ["filler so the batch has several rows"])[: len(texts)]
    for text, score in zip(texts, together):
        assert clf.predict(text).score == pytest.approx(float(score), abs=1e-6), text


# -- a bundle that lies is refused at load (edge_sentiment/manifest.py) ---------------------

@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(preprocessing=None), "preprocessing must be a JSON object, got null"),
    (lambda m: m.update(labels=None), "labels must be two different names"),
    (lambda m: m.update(files=None), "files must be a JSON object, got null"),
    (lambda m: m["model"].update(vocab_size="20000"), "model.vocab_size must be an integer from 4 to 10000000, got '20000'"),
    (lambda m: m["model"]["single_review"].update(file=["onnx_single"]), "model.single_text.file must be a non-empty string, got a list"),
    (lambda m: m["preprocessing"].update(maxlen=500.0), "preprocessing.maxlen must be an integer from 1 to 100000, got 500.0"),
    (lambda m: m["preprocessing"].update(maxlen=10**9), "preprocessing.maxlen must be an integer from 1 to 100000"),
    (lambda m: m["preprocessing"].update(oov_id=7), "the id layout .* is not the one this runtime encodes with"),
    (lambda m: m["model"].update(pair_buckets=1), "model.pair_buckets must be 0 \\(no pairs\\) or at least 2, got 1"),
    (lambda m: m["model"].update(head="last"), "pair_buckets, bag_prior and bag_power need head 'mean_with_bag', not 'last'"),
    (lambda m: m["model"].update(bag_power=2), "model.bag_power must be a number from 0 to 1, got 2"),
    (lambda m: m["model"].update(bag_power=0), "model.bag_power must be above 0 \\(1: each bag is a mean\\), got 0"),
    (lambda m: m["model"].update(rnn_embedding_dim=-1), "model.rnn_embedding_dim must be an integer from 0 to 100000, got -1"),
    (lambda m: m["model"].update(head="attention"), "model.head must be one of last, max, mean, mean_with_bag; got 'attention'"),
    (lambda m: m["files"]["onnx"].update(bytes="big"), "files.onnx.bytes must be an integer"),
    (lambda m: m.update(metrics=[1, 2]), "metrics must be a JSON object, got a list"),
    (lambda m: m["metrics"]["test"]["onnx"].update(accuracy="high"), "metrics.test.onnx.accuracy must be a number from 0 to 1, got 'high'"),
    (lambda m: m["training"].update(command=["edge-sentiment"]), "training.command must be a non-empty string, got a list"),
    (lambda m: m["calibration"]["parameters"].update(scale=None), "calibration.parameters.scale must be a number"),
    (lambda m: m["model"].update(bag_prior=float("nan")), "NaN is not a JSON value"),
])
def test_malformed_manifest_values_are_refused_with_the_field_named(bundle_copy, change, message):
    edit_manifest(bundle_copy, change)
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle_copy)


def test_a_deeply_nested_manifest_is_refused(bundle_copy):
    (bundle_copy / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BundleError, match="nests arrays or objects too deeply"):
        load_bundle(bundle_copy)


def test_a_manifest_that_is_a_directory_is_refused(bundle_copy):
    (bundle_copy / "manifest.json").unlink()
    (bundle_copy / "manifest.json").mkdir()
    with pytest.raises(BundleError, match="manifest.json is a directory, not a file"):
        load_bundle(bundle_copy)


def test_a_manifest_that_is_a_fifo_or_a_device_is_refused_without_blocking(bundle_copy):
    path = bundle_copy / "manifest.json"
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(BundleError, match="manifest.json is not a regular file"):
        load_bundle(bundle_copy)
    path.unlink()
    path.symlink_to("/dev/zero")
    with pytest.raises(BundleError, match="manifest.json is not a regular file"):
        load_bundle(bundle_copy)


V1_MANIFESTS = ROOT / "tests" / "fixtures" / "manifests-v1"


@pytest.mark.parametrize("name", sorted(p.stem for p in V1_MANIFESTS.glob("*.json")))
def test_a_version_1_bundle_loads_upgraded_and_scores_identically(tmp_path, name):
    """Each bundle of the repository as version 1 wrote it (its manifest then, the same model files):
    version 1 grew fields over time, and every shape still loads and scores as the format-2 bundle records."""
    from edge_sentiment.conformance import read_cases

    current = ROOT / "artifacts" / ("default" if name == "default" else f"presets/{name}")
    if not current.is_dir():
        pytest.skip(f"{current} is not here (the sdist carries only the default bundle)")
    old = tmp_path / name
    shutil.copytree(current, old)
    (old / "conformance.jsonl").unlink()
    shutil.copy(V1_MANIFESTS / f"{name}.json", old / "manifest.json")
    bundle = load_bundle(old)
    assert bundle.manifest.read_from_version == 1 and "conformance" not in bundle.manifest.files
    cases = read_cases(load_bundle(current))
    scores = SentimentClassifier.load(old, backend="numpy").predict_proba([c["text"] for c in cases])
    np.testing.assert_allclose(scores, [c["scores"]["numpy"] for c in cases], atol=1e-6)


def test_an_upgraded_manifest_round_trips_through_the_schema(bundle_copy):
    from edge_sentiment.manifest import Manifest

    manifest = load_bundle(bundle_copy).manifest  # the shipped one is format 2: read as format 3, task binary
    assert manifest.read_from_version == 2 and manifest.task == "binary" and manifest.to_dict()["format_version"] == 3
    again = Manifest.from_dict(json.loads(json.dumps(manifest.to_dict())))
    assert again.to_dict() == manifest.to_dict() and again.read_from_version == 3


def test_a_format_3_manifest_of_more_labels_is_read_and_checked_against_its_model(bundle_copy):
    from edge_sentiment.manifest import Manifest, upgrade_v2

    def three_labels(manifest):  # the shipped format-2 manifest in format 3's words, with three labels
        manifest.update(upgrade_v2(manifest), task="multiclass", labels=["negative", "neutral", "positive"])
        manifest["model"]["output"]["shape"] = [None, 3]
    edit_manifest(bundle_copy, three_labels)
    parsed = Manifest.from_dict(json.loads((bundle_copy / "manifest.json").read_text()))
    assert parsed.task == "multiclass" and parsed.labels == ("negative", "neutral", "positive")
    assert load_bundle(bundle_copy).io.outputs == 3
    with pytest.raises(BundleError, match="model.onnx returns tensor\\(float\\) of shape .*shape \\[None, 3\\]"):
        SentimentClassifier.load(bundle_copy)  # the binary model under a 3-label manifest
    edit_manifest(bundle_copy, lambda m: m["model"]["output"].update(shape=[None, 1]))
    with pytest.raises(BundleError, match="model.output.shape must be \\[None, 3\\]"):
        load_bundle(bundle_copy)
    edit_manifest(bundle_copy, lambda m: m.update(labels=["a", "a", "b"]))
    with pytest.raises(BundleError, match="labels of a multiclass bundle must be 3 to 10,000 different names"):
        load_bundle(bundle_copy)


def test_a_model_that_returns_nan_is_an_error_not_a_label(bundle_copy):
    with np.load(bundle_copy / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["dense_bias"] = np.array([np.nan], dtype=np.float32)
    np.savez(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "numpy")
    # Refused at load: the conformance cases it re-scores come back NaN.
    with pytest.raises(BundleError, match="the numpy model returned the score nan, not a probability in \\[0, 1\\]"):
        SentimentClassifier.load(bundle_copy, backend="numpy")
    # Without the check at load (as while an export writes the cases), refused at every predict.
    from edge_sentiment.bundle import unprobed

    classifier = SentimentClassifier(unprobed(load_bundle(bundle_copy)), backend="numpy")
    with pytest.raises(BundleError, match="the numpy model returned the score nan, not a probability in \\[0, 1\\]"):
        classifier.predict("great film")
    with pytest.raises(BundleError, match="returned the score nan"):
        classifier.predict_proba(["great film", "dull"])


# -- a model file must belong to its bundle --------------------------------------------

PRESETS = ROOT / "artifacts" / "presets"


def copy_of(name: str, tmp_path) -> Path:
    source = ROOT / "artifacts" / "default" if name == "default" else PRESETS / name
    return Path(shutil.copytree(source, tmp_path / name))


@needs_presets
@pytest.mark.parametrize("target, source, key, backend, message", [
    # Same maxlen and input names; the other model's table has 10,000 rows, this vocabulary 20,000.
    ("default", "book-ch6", "onnx", "onnx", "the model file is not this bundle's"),
    ("book-ch6", "default", "onnx", "onnx", "the model file is not this bundle's"),
    ("default", "book-ch6", "tflite", "tflite", "the model file is not this bundle's"),
    # Same maxlen, same vocabulary size, another architecture.
    ("seed-one-hot", "seed-small-embedding", "onnx", "onnx", "the model file is not this bundle's"),
    ("seed-small-embedding", "seed-one-hot", "tflite", "tflite", "the model file is not this bundle's"),
    ("seed-small-embedding", "seed-one-hot", "numpy", "numpy", "embedding has shape \\(500, 500\\), the manifest's model record makes it \\(500, 16\\)"),
])
def test_a_model_file_from_another_bundle_is_refused_at_load(tmp_path, target, source, key, backend, message):
    bundle = copy_of(target, tmp_path)
    name = json.loads((bundle / "manifest.json").read_text())["files"][key]["path"]
    shutil.copyfile(copy_of(source, tmp_path) / name, bundle / name)
    rehash(bundle, key)
    with pytest.raises(BundleError, match=message):
        SentimentClassifier.load(bundle, backend=backend)


def test_weights_must_have_exactly_the_shapes_of_the_architecture(bundle_copy):
    with np.load(bundle_copy / "weights.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["dense_kernel"] = np.concatenate([arrays["dense_kernel"], np.zeros((1, 1), np.float32)])
    np.savez(bundle_copy / "weights.npz", **arrays)
    rehash(bundle_copy, "numpy")
    with pytest.raises(BundleError, match="dense_kernel has shape \\(27, 1\\), the manifest's model record makes it \\(26, 1\\)"):
        SentimentClassifier.load(bundle_copy, backend="numpy")


def test_onnx_external_data_is_refused_even_where_its_files_are_found(bundle_copy, monkeypatch):
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(str(bundle_copy / "model.onnx"))
    onnx.save(proto, str(bundle_copy / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    rehash(bundle_copy, "onnx")
    monkeypatch.chdir(bundle_copy)  # onnxruntime would resolve the data file from here
    with pytest.raises(BundleError, match="keeps weights in external data files, which a bundle may not"):
        SentimentClassifier.load(bundle_copy)


def tiny_onnx(path: Path, output_type: str, columns: int) -> None:
    """A model taking ids [batch, steps] and returning ``columns`` numbers of ``output_type`` per row."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    to = {"float": TensorProto.FLOAT, "double": TensorProto.DOUBLE}[output_type]
    nodes = [helper.make_node("Cast", ["ids"], ["as_float"], to=to),
             helper.make_node("ReduceMean", ["as_float"], ["mean"], axes=[1], keepdims=1),
             helper.make_node("Concat", ["mean"] * columns, ["score"], axis=1)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("ids", TensorProto.INT32, ["batch", "steps"])],
                              [helper.make_tensor_value_info("score", to, ["batch", columns])])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    proto.ir_version = 7
    onnx.save(proto, str(path))


@pytest.mark.parametrize("output_type, columns, message", [
    ("double", 1, "returns tensor\\(double\\) of shape \\['batch', 1\\]"),
    ("float", 2, "returns tensor\\(float\\) of shape \\['batch', 2\\]"),
])
def test_an_onnx_output_of_another_type_or_shape_is_refused_at_load(bundle_copy, output_type, columns, message):
    tiny_onnx(bundle_copy / "model.onnx", output_type, columns)
    rehash(bundle_copy, "onnx")
    with pytest.raises(BundleError, match=message):
        SentimentClassifier.load(bundle_copy)


@needs_presets
def test_what_runs_is_the_bytes_that_were_checked(bundle_copy, monkeypatch):
    """A model file swapped right after its checksum passed is never the one that runs."""
    import edge_sentiment.bundle as bundle_module

    texts = ["great film", "a dull, lifeless film", "not bad at all"]
    expected = SentimentClassifier.load(bundle_copy).predict_proba(texts)
    check = bundle_module._check_digest

    def check_then_swap(path, *args):
        check(path, *args)
        if Path(path).name == "model.onnx":  # another model with the same input, in place of the checked one
            shutil.copyfile(ROOT / "artifacts" / "presets" / "book-ch6" / "model.onnx", bundle_copy / "model.onnx")

    monkeypatch.setattr(bundle_module, "_check_digest", check_then_swap)
    np.testing.assert_array_equal(SentimentClassifier.load(bundle_copy).predict_proba(texts), expected)


def test_a_prediction_has_every_labels_probability_best_first():
    from edge_sentiment import TextClassifier

    assert TextClassifier is SentimentClassifier
    clf = TextClassifier.load()
    for text in ("great film", "dull"):
        prediction = clf.predict(text)
        assert list(prediction.scores)[0] == prediction.label
        assert sum(prediction.scores.values()) == pytest.approx(1.0)
        assert prediction.scores["positive"] == prediction.score
        assert clf.predict(text, top_k=1).scores == {prediction.label: prediction.scores[prediction.label]}
    with pytest.raises(ValueError, match="top_k must be a positive integer, got 0"):
        clf.predict("great film", top_k=0)
