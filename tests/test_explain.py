"""Explanations: contributions that add up to the logit, spans that point at the source text."""

import hashlib
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, run_cli
from edge_sentiment import SentimentClassifier
from edge_sentiment.text import token_spans, tokenize

BUNDLES = [REPO / "artifacts" / "default", *sorted((REPO / "artifacts" / "presets").glob("*"))]
WORDS = ["not", "bad", "at", "all", "a", "fun", "film", "great", "boring", "worst", "loved", "it", "plot", "the",
         "actors", "don't", "café", "10", "never", "again"]
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=60).map(" ".join)


def check_invariants(classifier, text):
    explanation = classifier.explain(text)
    assert explanation.score == pytest.approx(classifier.predict(text).score, abs=0)
    assert abs(explanation.base + sum(t.contribution for t in explanation.tokens) - explanation.logit) <= 1e-4
    assert abs(1 / (1 + math.exp(-explanation.logit)) - explanation.score) <= 1e-5
    starts = [t.start for t in explanation.tokens]
    assert starts == sorted(starts)
    for token in explanation.tokens:
        assert token.token in tokenize(text[token.start : token.end])
    return explanation


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.name)
def test_contributions_add_up_to_the_logit_for_every_architecture(bundle):
    classifier = SentimentClassifier.load(bundle)

    @settings(max_examples=40, deadline=None)
    @given(texts)
    def holds(text):
        check_invariants(classifier, text)

    holds()
    long = " ".join(WORDS * 60)  # more tokens than any maxlen: only the kept ones are listed
    explanation = check_invariants(classifier, long)
    assert len(explanation.tokens) <= classifier.bundle.io.maxlen


def test_the_base_is_the_logit_of_the_empty_text():
    classifier = SentimentClassifier.load()
    empty = classifier.explain("")
    assert empty.tokens == [] and empty.logit == pytest.approx(empty.base, abs=1e-12)
    assert classifier.explain("great film").base == empty.base


def tiny_bundle(folder):
    """A bag model whose contributions can be worked out by hand: one-number word vectors
    (start 1, good 2, bad -3), pair vectors (bucket 1: +1, bucket 2: -1), an RNN whose
    Dense weight is 0, Dense bias 0.25, no prior."""
    folder.mkdir()
    vocab = {"good": 3, "bad": 4, "film": 5}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    np.savez(folder / "weights.npz",
             embedding=np.array([[0], [1], [0], [2], [-3], [0.5]], np.float32),
             rnn_kernel=np.array([[0.3]], np.float32), rnn_recurrent=np.array([[0.2]], np.float32),
             rnn_bias=np.array([0.1], np.float32), pair_embedding=np.array([[0], [1], [-1]], np.float32),
             dense_kernel=np.array([[1], [1], [0]], np.float32), dense_bias=np.array([0.25], np.float32))
    manifest = json.loads((REPO / "artifacts" / "default" / "manifest.json").read_text())
    manifest["preprocessing"].update(maxlen=10, num_words=6)
    manifest["model"].update(vocab_size=6, embedding_dim=1, rnn_units=1, rnn_window=0, pair_buckets=3, pair_dim=1,
                             bag_prior=0.0, onnx_graph="fused")
    manifest["model"]["input"]["shape"] = [None, 10]
    del manifest["model"]["single_review"]  # the shipped manifest is format 2
    manifest["files"] = {key: {"path": name, "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest(),
                               "bytes": (folder / name).stat().st_size}
                         for key, name in (("vocab", "vocab.json"), ("numpy", "weights.npz"))}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_tiny_bag_model_gives_the_contributions_worked_out_by_hand(tmp_path):
    from edge_sentiment.bundle import load_bundle, unprobed

    # (made by hand: it has no conformance cases for the load probe)
    classifier = SentimentClassifier(unprobed(load_bundle(tiny_bundle(tmp_path / "tiny"))), backend="numpy")
    explanation = classifier.explain("Good, BAD!")
    # ids [1, 3, 4]; word bag (1 + 2 - 3) / 3; pairs (1, 3) -> bucket 2 (-1), (3, 4) -> bucket 1 (+1), over 2 pairs.
    assert explanation.base == pytest.approx(0.25 + 1.0)  # the empty text: the start id alone
    assert explanation.logit == pytest.approx(0.25 + 0.0 + 0.0)
    # Each word: its own term; the start id's term (1/3 now, 1 alone) split evenly; its pairs:
    # (start, good) wholly to good, (good, bad) half each.
    good = 2 / 3 + (1 / 3 - 1) / 2 - 1 / 2 + 1 / 4
    bad = -3 / 3 + (1 / 3 - 1) / 2 + 1 / 4
    assert [(t.token, t.start, t.end) for t in explanation.tokens] == [("good", 0, 4), ("bad", 6, 9)]
    assert [t.contribution for t in explanation.tokens] == pytest.approx([good, bad])
    assert explanation.score == pytest.approx(1 / (1 + math.exp(-0.25)), abs=1e-6)


def test_bags_with_a_prior_and_a_power_divide_each_term_alike(tmp_path):
    """The same tiny model with bag_prior 1 and bag_power 0.5: every bag term is divided by
    sqrt(count + 1), and the contributions still add up to the logit minus the empty text's."""
    from edge_sentiment.bundle import load_bundle, unprobed

    folder = tiny_bundle(tmp_path / "tiny")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["model"].update(bag_prior=1.0, bag_power=0.5)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    classifier = SentimentClassifier(unprobed(load_bundle(folder)), backend="numpy")
    explanation = classifier.explain("Good, BAD!")
    # ids [1, 3, 4]: word sum 0 over sqrt(3 + 1); pair sum 0 over sqrt(2 + 1); the start id alone: 1 / sqrt(2).
    assert explanation.base == pytest.approx(0.25 + 1 / math.sqrt(2))
    assert explanation.logit == pytest.approx(0.25)
    good = 2 / 2 + (1 / 2 - 1 / math.sqrt(2)) / 2 - 1 / math.sqrt(3) + 1 / (2 * math.sqrt(3))
    bad = -3 / 2 + (1 / 2 - 1 / math.sqrt(2)) / 2 + 1 / (2 * math.sqrt(3))
    assert [t.contribution for t in explanation.tokens] == pytest.approx([good, bad])


@pytest.mark.parametrize("text, expected", [
    ("Not BAD<br />at all", [("not", "Not"), ("bad", "BAD"), ("at", "at"), ("all", "all")]),
    ("ＦＵＮ ﬁlm", [("fun", "ＦＵＮ"), ("film", "ﬁlm")]),
    ("cafe\u0301 ΟΔΥΣΣΕΥΣ İyi", [("café", "cafe\u0301"), ("οδυσσευς", "ΟΔΥΣΣΕΥΣ"), ("i̇yi", "İyi")]),
    ("don’t 'quoted'", [("don't", "don’t"), ("quoted", "quoted")]),
])
def test_spans_slice_the_original_text_not_the_normalised_one(text, expected):
    assert [(token, text[start:end]) for token, start, end in token_spans(text)] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_spans_give_the_tokens_in_order_for_any_text(text):
    spans = token_spans(text)
    assert [token for token, _, _ in spans] == tokenize(text)
    assert all(0 <= start <= end <= len(text) for _, start, end in spans)
    assert [start for _, start, _ in spans] == sorted(start for _, start, _ in spans)


def test_the_cli_prints_one_json_object_per_text(tmp_path):
    result = run_cli("explain", "--json", "not bad at all, a fun film", "")
    assert result.returncode == 0, result.stderr.decode()
    objects = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [list(o) for o in objects] == [["text", "label", "score", "logit", "base", "tokens"]] * 2
    assert [list(t) for t in objects[0]["tokens"]] == [["token", "start", "end", "contribution"]] * 7
    assert objects[1]["tokens"] == [] and objects[0]["base"] == objects[1]["base"]


def test_the_words_are_listed_as_the_text_writes_them():
    result = run_cli("explain", "An AWFUL film", "--top", "1")
    assert result.returncode == 0 and "  AWFUL  (toward negative)" in result.stdout.decode()


def test_the_cli_writes_a_page_and_lists_the_top_words(tmp_path):
    page = tmp_path / "explain.html"
    (tmp_path / "texts.txt").write_text("not bad at all, a fun film\nthe worst film\n")
    result = run_cli("explain", "--file", str(tmp_path / "texts.txt"), "--top", "2", "--html", str(page))
    out = result.stdout.decode()
    assert result.returncode == 0 and out.count("score") == 2 and "(toward negative)" in out
    html = page.read_text()
    assert html.count("<section>") == 2 and "<script" not in html and 'title="' in html


def test_the_cli_needs_a_text_and_refuses_a_directory_for_html(tmp_path):
    assert run_cli("explain").returncode == 2
    result = run_cli("explain", "--html", str(tmp_path), "great")
    assert result.returncode == 2 and "is a directory" in result.stderr.decode()
