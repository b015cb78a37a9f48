"""Tokenizing in worker processes (workers > 1): the same scores, in input order."""

import numpy as np
import pytest

from conftest import run_cli
from edge_sentiment import SentimentClassifier
from edge_sentiment.batch_scoring import SORT_WINDOW
from test_threads import make_texts


@pytest.fixture(scope="module")
def texts():
    return make_texts(2 * SORT_WINDOW + 321, seed=5)  # three windows, the last one short


def test_two_workers_give_the_serial_scores_in_order(texts):
    serial = SentimentClassifier.load().predict_proba(texts)
    with SentimentClassifier.load(workers=2) as clf:
        np.testing.assert_array_equal(clf.predict_proba(texts), serial)
        streamed = list(clf.iter_predict(iter(texts)))
    assert [text for text, _ in streamed] == texts
    np.testing.assert_array_equal([p.score for _, p in streamed], serial)


def test_the_pool_starts_again_after_close(texts):
    clf = SentimentClassifier.load(workers=2)
    first = clf.predict_proba(texts)
    clf.close()
    clf.close()  # closing twice is fine
    np.testing.assert_array_equal(clf.predict_proba(texts), first)
    clf.close()


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_workers_must_be_a_positive_integer(workers):
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        SentimentClassifier.load(workers=workers)


def test_cli_workers_give_the_same_lines(texts, tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    one = run_cli("predict", "--file", str(path), "--json")
    two = run_cli("predict", "--file", str(path), "--json", "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr.decode()
    assert two.stdout == one.stdout
    assert len(two.stdout.splitlines()) == len(texts)


def test_cli_refuses_zero_workers():
    result = run_cli("predict", "great film", "--workers", "0")
    assert result.returncode == 2
    assert b"--workers" in result.stderr and b"Traceback" not in result.stderr
