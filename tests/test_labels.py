"""More than two labels, end to end: a 3-class CSV and a multilabel JSON Lines file are exported
(default preset), checked by every backend, scored, evaluated, explained, and run by the
JavaScript runtime; label files are read and refused as the issue asks."""

import json
import random
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO, js_conformance, needs_node_modules, run_cli

pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")

TOPICS = {"sports": ["goal", "match", "team", "coach", "league"], "politics": ["vote", "senate", "law", "party", "minister"],
          "tech": ["software", "chip", "app", "code", "startup"]}
FEELINGS = {"joy": ["happy", "glad"], "anger": ["mad", "furious"], "fear": ["scared", "afraid"], "surprise": ["wow", "unexpected"]}
FILLER = ["the", "a", "new", "today", "said", "report", "week", "people", "big", "news"]


def _sentence(rng, cues: list[str]) -> str:
    return " ".join(rng.choice(cues) if rng.random() < 0.3 else rng.choice(FILLER) for _ in range(rng.randint(4, 15)))


def write_topics_csv(path, rows: int = 600, seed: int = 0):
    rng = random.Random(seed)
    lines = ["text,topic"]
    for _ in range(rows):
        topic = rng.choice(sorted(TOPICS))
        lines.append(f"{_sentence(rng, TOPICS[topic])},{topic}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_feelings(path, rows: int = 900, seed: int = 1, as_tsv: bool = False):
    rng = random.Random(seed)
    lines = ["text\tlabels"] if as_tsv else []
    for _ in range(rows):
        chosen = rng.sample(sorted(FEELINGS), rng.choice([1, 1, 2]))
        text = _sentence(rng, [w for name in chosen for w in FEELINGS[name]])
        lines.append(f"{text}\t{'|'.join(chosen)}" if as_tsv else json.dumps({"text": text, "labels": chosen}))
    path.write_text("\n".join(lines) + "\n")
    return path


def exported(root, train):
    """``root``, with the bundle ``export --train`` makes from ``train`` in ``root/bundle`` (and its log)."""
    result = run_cli("export", "--train", str(train), "--epochs", "4", "--out", str(root / "bundle"))
    assert result.returncode == 0, result.stderr[-3000:]
    return root, result.stderr


@pytest.fixture(scope="module")
def topics(tmp_path_factory):
    root = tmp_path_factory.mktemp("topics")
    return exported(root, write_topics_csv(root / "train.csv"))[0]


@pytest.fixture(scope="module")
def feelings(tmp_path_factory):
    root = tmp_path_factory.mktemp("feelings")
    root, log = exported(root, write_feelings(root / "train.jsonl"))
    assert b"labels (multilabel, 4): 'anger', 'fear', 'joy', 'surprise'" in log
    return root


def test_a_three_class_bundle_scores_every_label_on_every_backend(topics):
    from edge_sentiment import TextClassifier, load_bundle

    manifest = json.loads((topics / "bundle" / "manifest.json").read_text())
    assert (manifest["format_version"], manifest["task"], manifest["labels"]) == (3, "multiclass", ["politics", "sports", "tech"])
    assert manifest["model"]["output"]["shape"] == [None, 3] and "thresholds" not in manifest
    assert all(p["max_abs_diff"] <= 1e-5 for p in manifest["metrics"]["parity_vs_keras"].values())
    assert manifest["metrics"]["held_out"]["accuracy"] > 0.8 and "test" not in manifest["metrics"]
    texts = ["the coach and the team won the match", "vote in the senate", "new app code", ""]
    scores = {}
    for backend in ("onnx", "tflite", "numpy"):
        with TextClassifier.load(topics / "bundle", backend=backend) as classifier:
            assert classifier.labels == ("politics", "sports", "tech")
            scores[backend] = classifier.predict_proba(texts)
    assert scores["onnx"].shape == (4, 3)
    np.testing.assert_allclose(scores["onnx"].sum(axis=1), 1.0, atol=1e-6)
    for backend in ("tflite", "numpy"):
        np.testing.assert_allclose(scores[backend], scores["onnx"], atol=1e-5)
    classifier = TextClassifier(load_bundle(topics / "bundle"))
    prediction = classifier.predict(texts[0])
    assert prediction.label == "sports" and prediction.labels == ("sports",)
    assert list(prediction.scores) == sorted(prediction.scores, key=prediction.scores.get, reverse=True)
    assert prediction.score == pytest.approx(scores["onnx"][0][1], abs=1e-6)
    assert list(classifier.predict(texts[0], top_k=2).scores) == list(prediction.scores)[:2]
    report = classifier.evaluate(texts[:3], ["sports", "politics", "politics"])
    assert report.task == "multiclass" and report.texts == 3 and report.accuracy == pytest.approx(2 / 3)
    assert np.sum(report.confusion_matrix) == 3 and report.per_class["tech"].support == 0
    with pytest.raises(Exception, match="label 'weather' is not one of this model's labels") as refused:
        classifier.evaluate(texts[:1], ["weather"])
    assert "before calling evaluate" in str(refused.value) and "--" not in str(refused.value)  # (no CLI options in the API)


def test_the_onnx_graphs_run_the_rnn_only_when_the_model_reads_it(topics, feelings):
    """A model whose recurrent phase was not kept has zero weight on the RNN: its graphs leave it
    out (the parity checks at export prove the scores the same); one that reads it runs the RNN
    op, or in the batch graph its steps unrolled."""
    import onnx

    kept = set()
    for root in (topics, feelings):
        bundle = root / "bundle"
        manifest = json.loads((bundle / "manifest.json").read_text())
        reads_rnn = manifest["training"]["rnn_phase"]["kept"] == "rnn"
        dense = np.load(bundle / manifest["files"]["numpy"]["path"])["dense_kernel"]
        assert np.any(dense[-manifest["model"]["rnn_units"]:]) == reads_rnn
        for key in ("onnx", "onnx_single"):
            nodes = onnx.load(bundle / manifest["files"][key]["path"]).graph.node
            recurrent = {node.op_type for node in nodes if node.op_type == "RNN" or "/unrolled/" in node.name}  # (unroll_rnn.py)
            assert bool(recurrent) == reads_rnn, (root.name, key, sorted(recurrent))
        described = run_cli("info", "--model", str(bundle)).stdout.decode()
        assert ("without the RNN: its share of the logits is 0" in described) != reads_rnn, described
        kept.add(reads_rnn)
    assert False in kept  # (short synthetic texts: the bag model is kept)


def test_the_exported_model_is_refit_on_every_row_of_the_file(topics):
    """The default preset: epochs chosen on the validation rows, then a fresh model trained on
    all 600 rows for them (test carve included); the figures are those of the model before."""
    manifest = json.loads((topics / "bundle" / "manifest.json").read_text())
    training, history = manifest["training"], json.loads((topics / "bundle" / "history.json").read_text())
    assert manifest["dataset"]["test_rows"] == 60 and training["train_texts"] + training["validation_texts"] == 540
    assert training["refit"]["rows"] == 600
    phases = {"bag": history["pretrain_bag"]["best_epoch"]}
    if training["rnn_phase"]["kept"] == "rnn":
        phases["rnn"] = history["best_epoch"]  # (its own word vectors: the RNN alone, then mixed)
    assert training["refit"]["epochs"] == phases
    own = training["fitted_to_data"]["rnn_embedding_dim"]  # a user's file: the RNN has word vectors of its own
    assert manifest["model"]["rnn_embedding_dim"] == own["value"] == 32 and manifest["model"]["rnn_units"] == own["rnn_units"]
    subwords = training["fitted_to_data"]["subwords"]  # first with subwords, then without: kept unless 1% lower
    loss = subwords["validation_loss"]
    assert (subwords["value"] == "off") == (loss["off"] <= 0.99 * loss["on"] and subwords["gain_t"]["off"] >= 2)
    assert ("subwords" in manifest["preprocessing"]) == (subwords["value"] != "off")
    power = training["fitted_to_data"]["bag_power"]  # the bag phase tried both; the root only if 1% lower
    loss = power["validation_loss"]
    assert loss["1"] == subwords["validation_loss"]["off" if subwords["value"] == "off" else "on"]
    assert power["value"] == (0.5 if loss["0.5"] <= 0.99 * loss["1"] else 1.0)
    assert manifest["model"].get("bag_power", 1.0) == training["config"]["bag_power"] == power["value"]
    weights = training["fitted_to_data"]["feature_weights"]  # then, at that power, equal weights only if 1% lower
    loss = weights["validation_loss"]
    assert loss["log_count_ratio"] == power["validation_loss"][f"{power['value']:g}"]
    assert weights["value"] == ("none" if loss["none"] <= 0.99 * loss["log_count_ratio"] else "log_count_ratio")
    assert training["config"]["feature_weights"] == weights["value"]
    if weights["value"] == "log_count_ratio":  # then the smoothing: 0.25 wherever its loss is lower
        smoothing = training["fitted_to_data"]["feature_smoothing"]
        loss = smoothing["validation_loss"]
        assert loss["1"] == weights["validation_loss"]["log_count_ratio"]
        assert smoothing["value"] == (0.25 if loss["0.25"] < loss["1"] else 1.0) == training["config"]["feature_smoothing"]
    assert manifest["metrics"]["held_out"]["texts"] == 60
    assert "before the refit" in manifest["metrics"]["held_out"]["model"]
    info = run_cli("info", "--model", str(topics / "bundle")).stdout.decode()
    assert "held out    accuracy" in info and "on 60 texts, before the model was refit" in info


def test_a_three_class_bundle_is_evaluated_explained_and_verified(topics, tmp_path):
    test = write_topics_csv(tmp_path / "test.csv", rows=150, seed=7)
    result = run_cli("evaluate", "--model", str(topics / "bundle"), "--file", str(test), "--backend", "onnx", "--json",
                     "--plot", str(tmp_path / "confusion.png"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["task"] == "multiclass" and report["texts"] == 150
    assert np.array(report["confusion_matrix"]).shape == (3, 3) and np.sum(report["confusion_matrix"]) == 150
    assert set(report["per_class"]) == {"politics", "sports", "tech"}
    assert {"macro_f1", "micro_f1", "top_label_ece", "classwise_ece", "majority_baseline"} <= set(report)
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    table = run_cli("evaluate", "--model", str(topics / "bundle"), "--file", str(test), "--backend", "onnx")
    assert b"confusion matrix" in table.stdout and b"tech" in table.stdout

    explained = run_cli("explain", "--model", str(topics / "bundle"), "--label", "politics", "--json", "the coach said vote")
    assert explained.returncode == 0, explained.stderr
    e = json.loads(explained.stdout)
    assert e["label"] == "politics"
    assert e["base"] + sum(t["contribution"] for t in e["tokens"]) == pytest.approx(e["logit"], abs=1e-6)
    bad = run_cli("explain", "--model", str(topics / "bundle"), "--label", "weather", "x")
    assert bad.returncode == 2 and b"its labels: politics, sports, tech" in bad.stderr
    shown = run_cli("explain", "--model", str(topics / "bundle"), "--label", "politics", "the coach said vote").stdout.decode()
    directions = {line.rsplit("(", 1)[1] for line in shown.splitlines() if line.startswith("  ")}
    assert directions and directions <= {"toward the explained label)", "away from the explained label)"}

    verified = run_cli("verify", "--model", str(topics / "bundle"))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_one_classifier_explains_every_label_as_a_fresh_one_does(feelings):
    """The explainer reads the weights once and builds each label's part when first asked: the
    labels explained in any order, by one classifier, give what a classifier of their own gives."""
    from edge_sentiment import TextClassifier

    text, shared = "what a calm and happy day, nothing to fear", TextClassifier.load(feelings / "bundle")
    labels = list(shared.labels)
    random.Random(3).shuffle(labels)
    for label in labels:
        explained, alone = shared.explain(text, label), TextClassifier.load(feelings / "bundle").explain(text, label)
        assert explained == alone and explained.label == label
        assert explained.base + sum(t.contribution for t in explained.tokens) == pytest.approx(explained.logit, abs=1e-6)


def test_a_multilabel_bundle_has_thresholds_and_predicts_label_sets(feelings, tmp_path):
    from edge_sentiment import TextClassifier

    manifest = json.loads((feelings / "bundle" / "manifest.json").read_text())
    assert manifest["task"] == "multilabel" and manifest["labels"] == ["anger", "fear", "joy", "surprise"]
    assert len(manifest["thresholds"]) == 4 and all(0 < t < 1 for t in manifest["thresholds"])
    assert "micro_f1" in manifest["metrics"]["held_out"]
    classifier = TextClassifier.load(feelings / "bundle")
    probabilities = classifier.predict_proba(["so happy and glad", "mad and scared", "the report"])
    assert probabilities.shape == (3, 4)
    both = classifier.predict("mad furious and scared afraid")
    assert set(both.labels) == {"anger", "fear"} and both.label == both.labels[0]
    report = classifier.evaluate(["mad furious and scared afraid", "so happy"], [["anger", "fear"], "joy"])
    assert report.task == "multilabel" and report.per_class["joy"].threshold == pytest.approx(manifest["thresholds"][2])
    everything = TextClassifier.load(feelings / "bundle", threshold=0.0).predict("the report")
    assert set(everything.labels) == {"anger", "fear", "joy", "surprise"}
    only_joy = TextClassifier.load(feelings / "bundle", thresholds={"anger": 1.0, "fear": 1.0, "surprise": 1.0})
    none_over = only_joy.predict("mad furious and scared afraid")
    assert manifest["min_labels"] == 1  # every training row has a label: so has every prediction
    assert none_over.labels == (none_over.label,) and none_over.label in {"anger", "fear"}
    no_minimum = tmp_path / "no-minimum"
    shutil.copytree(feelings / "bundle", no_minimum)
    (no_minimum / "manifest.json").write_text(json.dumps({**manifest, "min_labels": 0}))
    loose = TextClassifier.load(no_minimum, thresholds={"anger": 1.0, "fear": 1.0, "surprise": 1.0})
    assert loose.predict("mad furious and scared afraid").labels == ()
    with pytest.raises(ValueError, match="not a label of this model"):
        TextClassifier.load(feelings / "bundle", thresholds={"love": 0.5})

    test = write_feelings(tmp_path / "test.tsv", rows=120, seed=9, as_tsv=True)
    result = run_cli("evaluate", "--model", str(feelings / "bundle"), "--file", str(test), "--backend", "onnx", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss", "per_class"} <= set(report)
    assert [c["threshold"] for c in report["per_class"].values()] == pytest.approx(manifest["thresholds"])
    scored = run_cli("predict", "--model", str(feelings / "bundle"), "--file", str(test), "--all-scores")
    header, first = scored.stdout.decode().splitlines()[:2]
    assert header.split("\t") == ["text", "labels", "predicted_label", "score", "predicted_labels",
                                  "score_anger", "score_fear", "score_joy", "score_surprise"]
    assert first.split("\t")[4].split("|")[0] == first.split("\t")[2] or first.split("\t")[4] == ""
    verified = run_cli("verify", "--model", str(feelings / "bundle"))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_the_http_api_serves_every_label_of_a_multilabel_bundle(feelings):
    pytest.importorskip("fastapi", reason="serving needs the 'serve' extra")
    from conftest import start_server
    from edge_sentiment import TextClassifier

    classifier = TextClassifier.load(feelings / "bundle")
    texts = ["mad furious and scared afraid", "so happy and glad", "the report"]
    served = start_server("--model", str(feelings / "bundle"))
    try:
        status, _, body = served.request("POST", "/v1/predict", {"texts": texts})
        one = served.request("POST", "/v1/predict", {"text": texts[0], "top_k": 2})[2]
        explained = served.request("POST", "/v1/explain", {"text": texts[0], "label": "fear"})[2]
    finally:
        assert served.stop() == 0
    assert status == 200
    for record, text in zip(body["predictions"], texts):
        expected = classifier.predict(text)
        assert record["labels"] == list(expected.labels) and record["label"] == expected.label
        assert list(record["scores"]) == list(expected.scores) and len(record["scores"]) == 4
        assert list(record["scores"].values()) == pytest.approx(list(expected.scores.values()), abs=1e-6)
    assert len(one["scores"]) == 2 and set(one["labels"]) == {"anger", "fear"}
    assert explained["label"] == "fear" and explained["score"] == pytest.approx(classifier.predict(texts[0]).scores["fear"], abs=1e-6)


def test_score_frame_gives_every_label_a_column(feelings):
    pd = pytest.importorskip("pandas", reason="score_frame needs the 'scale' extra")
    from edge_sentiment import TextClassifier
    from edge_sentiment.frames import score_frame

    texts = ["mad furious and scared afraid", "so happy and glad", "the report"]
    scored = score_frame(pd.DataFrame({"text": texts}), model=feelings / "bundle")
    assert list(scored.columns) == ["text", "predicted_label", "score", "predicted_labels", "score_anger", "score_fear",
                                    "score_joy", "score_surprise"]
    expected = TextClassifier.load(feelings / "bundle").predict_proba(texts)
    assert scored[[f"score_{name}" for name in ("anger", "fear", "joy", "surprise")]].to_numpy() == pytest.approx(expected, abs=1e-6)
    assert set(scored["predicted_labels"][0].split("|")) == {"anger", "fear"}


@needs_node_modules
def test_the_javascript_runtime_passes_the_n_label_conformance_cases(topics, feelings):
    out = js_conformance(topics / "bundle", feelings / "bundle")
    assert "(multiclass, 3 labels): onnx (batch)" in out and "(multilabel, 4 labels): onnx (one per call)" in out
    # tokens, ids, subwords, batch and one-per-call scores, for each bundle
    assert out.count(" 0 failures") == 10 and "(multilabel, 4 labels): subwords" in out


@needs_node_modules
def test_the_javascript_runtime_gives_a_text_at_least_its_top_label_as_the_bundle_says(feelings, tmp_path):
    from edge_sentiment import TextClassifier

    manifest = json.loads((feelings / "bundle" / "manifest.json").read_text())
    no_minimum = tmp_path / "no-minimum"
    shutil.copytree(feelings / "bundle", no_minimum)
    (no_minimum / "manifest.json").write_text(json.dumps({**manifest, "min_labels": 0}))
    script = """
        import { SentimentClassifier } from "./src/index.js";
        const text = "zqx vbnm";  // no word the model knows: no score near the threshold
        for (const folder of process.argv.slice(1)) {
          const model = await SentimentClassifier.load(folder, { threshold: 0.999999 });
          const prediction = await model.predict(text);
          console.log(JSON.stringify(prediction.labels));
        }
    """
    result = subprocess.run(["node", "--input-type=module", "-e", script, str(feelings / "bundle"), str(no_minimum)],
                            cwd=REPO / "js", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    at_least_one, none = (json.loads(line) for line in result.stdout.splitlines())
    python = TextClassifier.load(feelings / "bundle", threshold=0.999999).predict("zqx vbnm")
    assert at_least_one == list(python.labels) == [python.label] and none == []


def test_label_files_choose_their_task_and_refuse_what_cannot_train(tmp_path):
    from edge_sentiment_export.data import DataError
    from edge_sentiment_export.labeled_files import load_labeled_files

    quiet = lambda message: None  # noqa: E731
    topics = load_labeled_files(str(write_topics_csv(tmp_path / "t.csv")), log=quiet)
    assert topics.task == "multiclass" and topics.labels == ("politics", "sports", "tech")
    messages = []
    joined = load_labeled_files(str(write_feelings(tmp_path / "f.tsv", as_tsv=True)), log=messages.append)
    assert joined.task == "multilabel" and all(isinstance(labels, tuple) for labels in joined.train.labels)
    assert any("joined by '|'" in m and "multilabel" in m for m in messages)
    with pytest.raises(DataError, match="--task binary needs two labels; the file holds 3"):
        load_labeled_files(str(tmp_path / "t.csv"), log=quiet, task="binary")
    rare = tmp_path / "rare.csv"
    rare.write_text((tmp_path / "t.csv").read_text() + "".join(f"word{i} thing,weather\n" for i in range(7)))
    with pytest.raises(DataError, match="\\('weather': 7\\); each label needs at least 50.*--min-count 50"):
        load_labeled_files(str(rare), log=quiet)
    test_only = tmp_path / "test.csv"
    test_only.write_text("text,topic\nsunny day,weather\n")
    with pytest.raises(DataError, match="label\\(s\\) 'weather' do not occur in"):
        load_labeled_files(str(tmp_path / "t.csv"), test=str(test_only), log=quiet)


def test_iterative_stratification_holds_out_each_labels_share():
    from edge_sentiment_export.data import Split
    from edge_sentiment_export.labeled_files import _stratified_split

    rng = random.Random(3)
    rows = [tuple(sorted(rng.sample(range(6), rng.choice([1, 2, 3])))) for _ in range(2000)]
    rows += [(6,)] * 30  # a rare label
    split = Split([str(i) for i in range(len(rows))], rows)
    kept, held = _stratified_split(split, 0.1, seed=1, classes=7, task="multilabel")
    assert len(kept) + len(held) == len(rows) and abs(len(held) - 203) <= 5
    for label in range(7):
        total = sum(label in r for r in rows)
        assert abs(sum(label in r for r in held.labels) - 0.1 * total) <= 2
