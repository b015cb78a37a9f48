"""Tokenizer v2 (docs/bundle-format.md, section 3, step 5): each symbol (emoji, ♥, ★) a token of
its own. Chosen from the training texts by ``export --train``; a bundle trained with it passes
every check on every backend and in the JavaScript runtime, and its symbols carry meaning."""

import json
import random
import shutil

import pytest

from conftest import js_conformance, needs_node_modules, run_cli
from edge_sentiment.constants import SYMBOLS_TOKENIZER, TOKENIZER_NAME
from edge_sentiment.encoding import Encoder, EncodingConfig

WORDS = ["the", "game", "was", "today", "we", "saw", "it", "again", "with", "friends", "and", "then"]
#: The label is in the emoji only: a words-only tokenizer cannot tell the texts apart.
CUES = {"happy": ["😍", "\u2764\ufe0f", "🎉"], "sad": ["😭", "💔", "😞"]}


def _write(path, rows=600, seed=0):
    rng = random.Random(seed)
    lines = ["text\tlabel"]
    for _ in range(rows):
        label = rng.choice(sorted(CUES))
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(CUES[label]))
        lines.append(f"{' '.join(words)}\t{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_encoding_reads_symbols_only_with_tokenizer_v2():
    vocab = {"good": 3, "😍": 4}
    v1 = Encoder(vocab, EncodingConfig(maxlen=5, num_words=10))
    v2 = Encoder(vocab, EncodingConfig(maxlen=5, num_words=10, tokenizer=SYMBOLS_TOKENIZER))
    assert v1.kept_ids("good 😍 ♥") == [1, 3]
    assert v2.kept_ids("good 😍 ♥") == [1, 3, 4, 2]  # ♥ is a token outside the vocabulary
    assert v2.config.to_dict()["tokenizer"] == SYMBOLS_TOKENIZER
    with pytest.raises(ValueError, match="tokenizer must be one of"):
        EncodingConfig(maxlen=5, num_words=10, tokenizer="edge-sentiment-v9")


def test_the_rule_turns_symbols_on_when_one_occurs_in_two_training_texts():
    from edge_sentiment_export.config import get_preset
    from edge_sentiment_export.vocab import fit_tokenizer

    config = get_preset("default")
    assert config.tokenizer == TOKENIZER_NAME  # the IMDB presets read words only
    chosen, record = fit_tokenizer(config, ["so good 😍", "great 😍😍", "fine ♥"])
    assert chosen.tokenizer == SYMBOLS_TOKENIZER and record["value"] == SYMBOLS_TOKENIZER
    assert record["most_common"] == {"😍": 2, "♥": 1} and record["symbols_seen"] == 2  # texts, not occurrences
    chosen, record = fit_tokenizer(config, ["so good 😍", "fine ♥", "plain words"])
    assert chosen.tokenizer == TOKENIZER_NAME and "at least 2 training texts" in record["rule"]


@pytest.fixture(scope="module")
def symbol_bundle(tmp_path_factory):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    root = tmp_path_factory.mktemp("symbols")
    result = run_cli("export", "--train", str(_write(root / "train.tsv")), "--epochs", "6", "--out", str(root / "bundle"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"tokenizer {SYMBOLS_TOKENIZER}: {SYMBOLS_TOKENIZER} (each symbol a token".encode() in result.stderr
    return root / "bundle"


def test_a_bundle_that_reads_symbols_passes_every_check_and_learns_them(symbol_bundle):
    from edge_sentiment import TextClassifier

    manifest = json.loads((symbol_bundle / "manifest.json").read_text())
    assert manifest["preprocessing"]["tokenizer"] == SYMBOLS_TOKENIZER
    vocab = json.loads((symbol_bundle / "vocab.json").read_text())
    assert {"😍", "❤", "😭", "💔"} <= set(vocab)
    result = run_cli("verify", "--model", str(symbol_bundle))
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert f"(tokenizer {SYMBOLS_TOKENIZER})".encode() in run_cli("info", "--model", str(symbol_bundle)).stdout
    categories = {json.loads(line)["category"] for line in (symbol_bundle / "conformance.jsonl").read_text().splitlines()}
    assert {"symbols: presentation selectors", "symbols: skin tones and joiners", "symbols: nfkc"} <= categories
    with TextClassifier.load(symbol_bundle) as classifier:
        assert classifier.predict("we saw the game 😍").label == "happy"
        assert classifier.predict("we saw the game 💔").label == "sad"
        assert classifier.predict("we saw the game \u2764").label == "happy"  # the selector does not matter
        explanation = classifier.explain("we saw the game 😭")
        assert explanation.top(1)[0].token == "😭"


def test_a_bundle_without_its_symbol_cases_fails_verify(symbol_bundle, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(symbol_bundle, copy)
    conformance = copy / "conformance.jsonl"
    cases = [json.loads(line) for line in conformance.read_text().splitlines()]
    kept = [case for case in cases if not case["category"].startswith("symbols: ")]
    assert len(kept) < len(cases)
    conformance.write_text("".join(json.dumps({**case, "case": number}) + "\n" for number, case in enumerate(kept)))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["conformance"]["sha256"] = __import__("hashlib").sha256(conformance.read_bytes()).hexdigest()
    manifest["files"]["conformance"]["bytes"] = conformance.stat().st_size
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = run_cli("verify", "--model", str(copy))
    assert result.returncode != 0 and b"missing" in result.stdout + result.stderr


@needs_node_modules
def test_the_javascript_runtime_reads_the_same_symbols(symbol_bundle):
    out = js_conformance(symbol_bundle)
    assert out.count(" 0 failures") == out.count(" cases, ") >= 4


def test_symbols_can_be_asked_for_or_refused(tmp_path):
    pytest.importorskip("tensorflow", reason="exporting needs the 'train' extra")
    train = _write(tmp_path / "train.tsv", rows=200)
    out = tmp_path / "bundle"
    result = run_cli("export", "--train", str(train), "--preset", "quick", "--symbols", "separators", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["preprocessing"]["tokenizer"] == TOKENIZER_NAME
    assert "tokenizer" not in manifest["training"]["fitted_to_data"]  # asked for, not fitted
    assert not {"😍", "😭"} & set(json.loads((out / "vocab.json").read_text()))
    wrong = run_cli("export", "--train", str(train), "--symbols", "emoji", "--out", str(tmp_path / "other"))
    assert wrong.returncode == 2 and b"--symbols must be one of: auto, tokens, separators" in wrong.stderr
