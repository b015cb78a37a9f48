"""Subword features (docs/bundle-format.md, section 3.1): the hash and n-grams as the spec
defines them, the row layout, the token table shared by threads and inherited by forks, and a
bundle trained with them: every backend, verify, explain, the JavaScript runtime, and misspelt
words that still count."""

import json
import multiprocessing
import os
import random
import shutil
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import js_conformance, needs_node_modules, run_cli
from edge_sentiment.encoding import Encoder, EncodingConfig
from edge_sentiment.subwords import (SubwordConfig, SubwordEncoder, buckets_of, count_ngrams, few_token_buckets, fnv1a32, ngrams,
                                     token_buckets)


def test_the_hash_is_fnv1a_32_over_utf8_bytes():
    # Reference values of FNV-1a 32 (the FNV authors' test vectors).
    assert fnv1a32([b"", b"a", b"foobar"]).tolist() == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]
    assert buckets_of(["a"], 1000).tolist() == [1 + 0xE40C292C % 1000]
    assert buckets_of(["영화"], 7).tolist() == [1 + fnv1a32(["영화".encode()])[0] % 7]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12) | st.sampled_from(["\ud800", "😂", "영화"]), max_size=200), st.integers(1, 1 << 22))
def test_the_vectorised_hash_is_fnv1a_byte_by_byte(grams, buckets):
    """buckets_of (the definition the faster paths are held to) against FNV-1a written out byte by
    byte as the spec words it (lone surrogates, emoji and the empty string included)."""

    def fnv1a(data: bytes) -> int:
        value = 2166136261
        for byte in data:
            value = ((value ^ byte) * 16777619) % 2**32
        return value

    expected = [1 + fnv1a(gram.encode("utf-8", "surrogatepass")) % buckets for gram in grams]
    assert buckets_of(grams, buckets).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=10) | st.sampled_from(["영화", "😂👍", "\ud800x", "é", "ก่", "x" * 30]), max_size=12),
       st.integers(1, 8), st.integers(0, 7), st.integers(1, 1 << 22), st.sampled_from([1, 3, 1 << 15]))
def test_many_tokens_hash_without_their_n_gram_strings_to_the_same_buckets(tokens, min_n, more, buckets, chunk):
    """token_buckets (a batch's new words) and few_token_buckets (one text's) give each token the
    buckets of its ngrams(), in order (multi-byte code points, lone surrogates, empty and long
    tokens, any chunking)."""
    import edge_sentiment.subwords as subwords

    max_n = min(min_n + more, 8)
    expected = [buckets_of(ngrams(token, min_n, max_n), buckets).tolist() for token in tokens]
    chunk_before, subwords.HASH_CHUNK = subwords.HASH_CHUNK, chunk
    try:
        ids, counts = token_buckets(tokens, min_n, max_n, buckets)
    finally:
        subwords.HASH_CHUNK = chunk_before
    assert counts.tolist() == [len(each) for each in expected]
    assert ids.tolist() == [bucket for each in expected for bucket in each]
    assert few_token_buckets(tokens, min_n, max_n, buckets) == (ids.tolist(), counts.tolist())


def test_ngrams_are_cut_from_the_marked_word_by_start_then_length():
    assert ngrams("ab", 2, 3) == ["<a", "<ab", "ab", "ab>", "b>"]
    assert ngrams("ab", 1, 2) == ["<a", "a", "ab", "b", "b>"]  # a mark alone is no n-gram
    assert ngrams("영화", 2, 2) == ["<영", "영화", "화>"]
    for low, high in ((1, 1), (1, 4), (2, 4), (3, 6)):
        for length in range(12):
            assert len(ngrams("x" * length, low, high)) == count_ngrams(length, low, high)


@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_a_text_keeps_its_slots_of_subwords_as_it_keeps_its_ids(truncating):
    config = EncodingConfig(maxlen=4, num_words=10, truncating=truncating, subwords=SubwordConfig(2, 3, 50, 12))
    encoder = Encoder({"good": 3, "film": 4}, config)
    every = [bucket for token in ("one", "good", "film") for bucket in buckets_of(ngrams(token, 2, 3), 50)]
    kept = encoder.kept_subwords("one good film")
    assert kept.tolist() == (every[-12:] if truncating == "pre" else every[:12])
    row = encoder.encode(["one good film"])[0]
    assert row.shape == (config.width,) == (4 + 12,)
    assert row[:4].tolist() == [1, 2, 3, 4] and row[4:].tolist() == kept.tolist()
    empty = encoder.encode([""])[0]
    assert empty.tolist() == [0, 0, 0, 1] + [0] * 12


@pytest.mark.parametrize("from_end", [True, False])
def test_a_huge_word_hashes_only_what_survives_and_gets_the_same_ids(from_end):
    word = "abcdefghij" * 5000 + "xyz"
    encoder = SubwordEncoder(SubwordConfig(1, 5, 997, 40), from_end, True)
    every = buckets_of(ngrams(word, 1, 5), 997)
    short = buckets_of(ngrams("short", 1, 5), 997)
    expected = every[-40:] if from_end else np.concatenate([short, every[: 40 - len(short)]])
    assert encoder.kept(["short", word]).tolist() == expected.tolist()
    assert encoder.kept([word]).tolist() == (every[-40:] if from_end else every[:40]).tolist()
    batch = SubwordEncoder(SubwordConfig(1, 5, 997, 40), from_end, True)  # (a batch hashes the words first)
    rows = batch.rows([["short", word], [word], [word, "short"]])
    assert batch._counts[batch._row_of[word]] == 40  # (of its 250,013 n-grams)
    assert [row[row > 0].tolist() for row in rows] == [
        encoder.kept(tokens).tolist() for tokens in (["short", word], [word], [word, "short"])]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["good", "film", "bad", "a", "영화", "😂", "", "x" * 40]) | st.text(max_size=8), max_size=9).map(" ".join), max_size=12),
    st.sampled_from(["pre", "post"]), st.sampled_from(["pre", "post"]), st.integers(1, 30), st.integers(1, 8),
)
def test_a_batch_encodes_each_text_as_it_would_alone(texts, padding, truncating, slots, maxlen):
    """encode() places most rows in one vectorised step: each row equals the text encoded alone
    (texts whose n-grams overflow their slots, empty texts and every padding mode included)."""
    subwords = SubwordConfig(2, 4, 97, slots)
    config = EncodingConfig(maxlen=maxlen, num_words=10, padding=padding, truncating=truncating, subwords=subwords, tokenizer="edge-sentiment-v2")
    vocab = {"good": 3, "film": 4, "bad": 5}
    one_by_one = Encoder(vocab, config)

    def alone(text: str) -> np.ndarray:
        kept, kept_subwords = one_by_one.kept_with_subwords(text)
        return one_by_one.pad([kept], [kept_subwords])[0]

    expected = np.array([alone(text) for text in texts], dtype=np.int32).reshape(len(texts), config.width)
    np.testing.assert_array_equal(Encoder(vocab, config).encode(texts), expected)


def test_the_token_table_grows_and_starts_again_when_full_with_the_same_ids(monkeypatch):
    import edge_sentiment.subwords as subwords

    def alone(tokens):
        return SubwordEncoder(SubwordConfig(2, 3, 50, 40), True, True).kept(tokens)

    def word_ids(tokens):  # (a stand-in vocabulary: each token's id is its length times 10)
        return [10 * len(token) for token in tokens]

    encoder = SubwordEncoder(SubwordConfig(2, 3, 50, 40), True, True, word_ids)
    many = [f"w{i}" for i in range(3000)]  # more tokens and ids than the table first has room for
    rows, ids = encoder.rows_and_word_ids([many[i : i + 7] for i in range(0, 3000, 7)])
    assert [row[row > 0].tolist() for row in rows[:3]] == [alone(many[i : i + 7]).tolist() for i in (0, 7, 14)]
    assert ids.tolist() == word_ids(many)
    monkeypatch.setattr(subwords, "CACHE_LIMIT", 3)
    # (the table starts again in the middle of a text: a known word beside new ones that overflow it)
    for tokens in (["ab", "cd"], ["ef", "ghi", "ij"], ["ab", "mn"], ["op", "ab"], ["abc", "qr", "st"], ["st", "uv"]):
        assert encoder.kept(tokens).tolist() == alone(tokens).tolist()
        both, ids = encoder.rows_and_word_ids([tokens, tokens[::-1]])
        assert [row[row > 0].tolist() for row in both] == [alone(tokens).tolist(), alone(tokens[::-1]).tolist()]
        assert ids.tolist() == word_ids(tokens + tokens[::-1])
    with pytest.raises(ValueError, match="without word_ids"):
        SubwordEncoder(SubwordConfig(2, 3, 50, 40), True, True).rows_and_word_ids([["ab"]])


def test_threads_sharing_an_encoder_get_the_ids_each_would_alone(monkeypatch):
    """One classifier may serve many threads: their new words go into one table, and each text
    still gets its own words' ids (the threads switch every microsecond, so they interleave)."""
    import edge_sentiment.subwords as subwords

    monkeypatch.setattr(subwords, "CACHE_LIMIT", 500)  # (the table starts again while they run)
    config = SubwordConfig(1, 3, 4099, 60)
    texts = [[f"w{t}x{i}" for i in range(t % 7 + 1)] + ["영화", f"단어{t}"] for t in range(1600)]
    expected = [SubwordEncoder(config, True, True).kept(tokens).tolist() for tokens in texts]
    shared, alone, batched, failures = SubwordEncoder(config, True, True), {}, {}, []

    def score(start: int) -> None:
        mine = range(start, len(texts), 8)
        try:
            alone.update({i: shared.kept(texts[i]).tolist() for i in mine})  # one text at a time
            batched.update({i: row[row > 0].tolist() for i, row in zip(mine, shared.rows([texts[i] for i in mine]))})
        except Exception as exc:  # (a thread's error would otherwise vanish)
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=score, args=(start,)) for start in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert [alone[i] for i in range(len(texts))] == expected
    assert [batched[i] for i in range(len(texts))] == expected


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_child_forked_while_a_thread_holds_the_table_still_encodes():
    """A process forked while another thread is inside a call (the lock held, the table perhaps
    half written) gets a lock and a table of its own: it encodes instead of waiting forever."""
    encoder = SubwordEncoder(SubwordConfig(1, 3, 101, 40), True, True)
    expected = encoder.kept(["영화", "good"]).tolist()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    with encoder._lock:  # (as another thread holds it in the middle of a call)
        child = context.Process(target=lambda: results.put(encoder.kept(["영화", "good", "new"]).tolist()))
        child.start()
    try:
        assert results.get(timeout=30)[: len(expected)] == expected
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


CUES = {"positive": ["wonderful", "excellent", "brilliant"], "negative": ["terrible", "horrible", "dreadful"]}
FILLER = ["the", "movie", "film", "was", "really", "plot", "acting", "a", "this", "story"]


def _write(path, rows=700, seed=0):
    rng = random.Random(seed)
    lines = ["text\tlabel"]
    for _ in range(rows):
        label = rng.choice(sorted(CUES))
        words = [rng.choice(CUES[label]) if rng.random() < 0.3 else rng.choice(FILLER) for _ in range(rng.randint(4, 12))]
        lines.append(f"{' '.join(words)}\t{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def subword_bundle(tmp_path_factory):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    root = tmp_path_factory.mktemp("subwords")
    result = run_cli("export", "--train", str(_write(root / "train.tsv")), "--subwords", "2-4", "--epochs", "6",
                     "--out", str(root / "bundle"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert b"subwords 2-4: character 2- to 4-grams of every word" in result.stderr
    return root / "bundle"


def test_a_bundle_with_subwords_passes_every_check_on_every_backend(subword_bundle):
    manifest = json.loads((subword_bundle / "manifest.json").read_text())
    subwords = manifest["preprocessing"]["subwords"]
    assert subwords["min_n"] == 2 and subwords["max_n"] == 4 and subwords["hash"] == "fnv1a32"
    assert manifest["model"]["input"]["shape"] == [None, manifest["preprocessing"]["maxlen"] + subwords["slots"]]
    fitted = manifest["training"]["fitted_to_data"]["subwords"]
    assert fitted["slots"] == subwords["slots"]
    assert fitted["asked"] and "validation_loss" not in fitted  # a range asked for is kept, not chosen on validation
    result = run_cli("verify", "--model", str(subword_bundle))
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    out = result.stdout.decode()
    assert "subwords " in out and "0 failures" in out
    for category in ("korean", "japanese", "chinese", "thai", "typos", "very long word"):
        assert any(json.loads(line)["category"] == f"subwords: {category}"
                   for line in (subword_bundle / "conformance.jsonl").read_text().splitlines())


def test_the_batch_graph_takes_rows_whose_subword_padding_is_cut(subword_bundle):
    import onnxruntime as ort

    from edge_sentiment import TextClassifier
    from edge_sentiment.backends import trim_subword_padding

    manifest = json.loads((subword_bundle / "manifest.json").read_text())
    assert manifest["model"]["input"]["onnx_trims_subword_padding"] is True
    with TextClassifier.load(subword_bundle) as classifier:
        short = ["wonderful", "a terrible film", "the plot was dreadful and the acting horrible"]
        rows = classifier._encoder.encode(short)
        cut = trim_subword_padding(rows, manifest["preprocessing"]["maxlen"])
        assert manifest["preprocessing"]["maxlen"] < cut.shape[1] < rows.shape[1]
        session = ort.InferenceSession(str(subword_bundle / "model.onnx"), providers=["CPUExecutionProvider"])
        whole, trimmed = (session.run(None, {"ids": ids})[0] for ids in (rows, cut))
        np.testing.assert_allclose(trimmed, whole, atol=1e-6)
        np.testing.assert_allclose(classifier.predict_proba(short), whole[:, 0], atol=1e-6)


def test_misspelt_and_unseen_forms_of_a_cue_word_still_count(subword_bundle):
    from edge_sentiment import TextClassifier

    with TextClassifier.load(subword_bundle) as classifier:
        score = lambda text: classifier.predict_proba([text])[0]  # noqa: E731  P(positive)
        # Out of the vocabulary every one of these is id 2: only their n-grams can tell them apart.
        assert min(score("wonderfull"), score("wonderrful")) - max(score("terible"), score("horible")) > 0.6
        for backend in ("numpy", "tflite"):
            with TextClassifier.load(subword_bundle, backend=backend) as other:
                assert abs(other.predict_proba(["terible film"])[0] - score("terible film")) < 1e-5


def test_explanations_give_each_word_its_n_grams(subword_bundle):
    from edge_sentiment import TextClassifier

    with TextClassifier.load(subword_bundle) as classifier:
        explanation = classifier.explain("the movie was terible")
    total = explanation.base + sum(t.contribution for t in explanation.tokens)
    assert abs(total - explanation.logit) < 1e-4
    assert explanation.top(1)[0].token == "terible"  # out of the vocabulary, yet the strongest word


@needs_node_modules
def test_the_javascript_runtime_computes_the_same_subwords_and_scores(subword_bundle):
    out = js_conformance(subword_bundle)
    assert "subwords" in out and out.count(" 0 failures") == 5


def _write_rare_word_topics(path, rows=900, seed=0):
    """Six labels, each told by a few cue words (one in each text, the wrong label's 15% of the
    time) among words made up for the text, each seen once: the cue words' n-grams add nothing the
    words do not, and the made-up words' n-grams are noise."""
    rng = random.Random(seed)
    made_up = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 8)))  # noqa: E731
    labels = "abcdef"
    cues = {label: [made_up() for _ in range(8)] for label in labels}
    lines = ["text\tlabel"]
    for _ in range(rows):
        label = rng.choice(labels)
        words = [made_up() for _ in range(rng.randint(6, 12))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(cues[label if rng.random() < 0.85 else rng.choice(labels)]))
        lines.append(f"{' '.join(words)}\t{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_subwords_are_left_out_where_the_bag_phase_does_better_without_them(tmp_path):
    """The rule turns subwords on for an alphabetic script, then the bag phase is trained with and
    without them: without, its validation loss is lower by far more than the 1% and the two
    standard errors it must be, so the bundle reads words and word pairs only, and says why."""
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    bundle = tmp_path / "bundle"
    result = run_cli("export", "--train", str(_write_rare_word_topics(tmp_path / "train.tsv")), "--epochs", "4",
                     "--out", str(bundle))
    assert result.returncode == 0, result.stderr[-3000:]
    assert b"subwords 3-5: character 3- to 5-grams" in result.stderr and b"\nsubwords off: " in result.stderr
    manifest = json.loads((bundle / "manifest.json").read_text())
    fitted = manifest["training"]["fitted_to_data"]
    loss = fitted["subwords"]["validation_loss"]
    assert fitted["subwords"]["value"] == "off" and not fitted["subwords"]["asked"] and loss["off"] <= 0.99 * loss["on"]
    assert fitted["subwords"]["gain_t"]["off"] >= 2  # (each text's loss: not a few texts' luck)
    assert fitted["bag_power"]["validation_loss"]["1"] == loss["off"]  # the choices after it start from the kept model
    assert "subwords" not in manifest["preprocessing"] and manifest["training"]["config"]["subword_min_n"] == 0
    assert manifest["model"]["input"]["shape"] == [None, manifest["preprocessing"]["maxlen"]]
    assert "subwords_input" not in manifest["model"].get("single_text", {})
    result = run_cli("verify", "--model", str(bundle))
    assert result.returncode == 0 and "0 failures" in result.stdout.decode(), result.stdout.decode()


def test_subword_options_and_manifests_that_cannot_work_are_refused(subword_bundle, tmp_path):
    result = run_cli("export", "--train", "x.tsv", "--subwords", "5-2", "--out", str(tmp_path / "b"))
    assert result.returncode == 2 and b"--subwords must be auto, off, or a range" in result.stderr
    copy = tmp_path / "bundle"
    shutil.copytree(subword_bundle, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["preprocessing"]["subwords"]["marks"] = ["[", "]"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("predict", "--model", str(copy), "good")
    assert result.returncode != 0 and b"preprocessing.subwords.marks must be ['<', '>']" in result.stderr
    assert b"Traceback" not in result.stderr


def test_the_subword_rule_follows_the_script_and_the_size_of_the_file():
    from edge_sentiment_export import config as C
    from edge_sentiment_export.vocab import FITTABLE, fit_to_data, word_counts

    def fitted(texts):
        config, record = fit_to_data(C.get_preset("default"), *word_counts(texts), FITTABLE, texts)
        return config, record["subwords"]

    korean = ["영화가 정말 재밌었어요 배우들의 연기도 최고", "시간 낭비였다 별로"] * 50
    config, record = fitted(korean)
    assert (config.subword_min_n, config.subword_max_n) == (1, 3) and record["syllabic_letter_share"] == 1.0
    english = ["a wonderful, moving film with a brilliant cast", "dull and lifeless"] * 50
    config, record = fitted(english)
    assert (config.subword_min_n, config.subword_max_n) == (3, 5) and record["syllabic_letter_share"] == 0.0
    assert config.subword_buckets == 4096  # a few dozen distinct n-grams: the floor
    assert config.subword_slots == max(16, record["p99_ngrams"]) and config.word_dropout == 0.0
    assert config.subword_dim == config.embedding_dim and config.has_subwords
    rng = random.Random(0)
    many = [" ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(20)) for _ in range(3000)]
    config, record = fitted(many)
    assert config.subword_buckets == 1 << 18 < 2 * record["distinct_ngrams"]  # capped
