"""Awkward inputs through the API: each has a defined result (a score in [0, 1])."""

import tracemalloc
import unicodedata

import numpy as np
import pytest

from edge_sentiment import SentimentClassifier
from edge_sentiment.constants import OOV_ID, PAD_ID, START_ID


@pytest.fixture(scope="module")
def clf():
    return SentimentClassifier.load()


def encoded(clf, text):
    return clf._encoder.encode([text])[0]


@pytest.mark.parametrize("text", ["", "   \t  ", "?!... ---", "\x00\x01\x02\x1b\x7f", "😀🎬🍿"])
def test_texts_without_tokens_score_like_the_empty_review(clf, text):
    row = encoded(clf, text)
    assert row[-1] == START_ID and (row[:-1] == PAD_ID).all()
    assert clf.predict(text).score == clf.predict("").score


def test_only_unknown_words_become_oov(clf):
    row = encoded(clf, "qwxzv blorptastic zzzzzzzz")
    assert row[-4:].tolist() == [START_ID, OOV_ID, OOV_ID, OOV_ID]
    assert 0.0 <= clf.predict("qwxzv blorptastic zzzzzzzz").score <= 1.0


def test_single_word(clf):
    row = encoded(clf, "great")
    assert row[-2] == START_ID and row[-1] not in (PAD_ID, START_ID, OOV_ID)


def test_nul_and_control_characters_separate_words(clf):
    assert clf.predict("great\x00film").score == clf.predict("great film").score
    assert clf.predict("great\r\n\tfilm\x7f").score == clf.predict("great film").score


def test_right_to_left_text_and_markers(clf):
    # RTL marks are not letters: they separate words and change nothing else.
    assert clf.predict("\u202bgreat film\u202c").score == clf.predict("great film").score
    assert 0.0 <= clf.predict("סרט נהדר מאוד").score <= 1.0
    assert 0.0 <= clf.predict("فيلم رائع جدا").score <= 1.0


def test_normalisation_forms_score_the_same(clf):
    text = "Amélie is a wonderful, naïve film"
    scores = {form: clf.predict(unicodedata.normalize(form, text)).score for form in ("NFC", "NFD", "NFKC", "NFKD")}
    assert len(set(scores.values())) == 1, scores


def test_ten_megabyte_review_costs_no_more_than_its_kept_end(clf):
    tail = "a truly great film with a superb cast " * 200
    huge = "awful boring dull " * (10_000_000 // 18) + tail
    assert len(huge) > 10_000_000
    tracemalloc.start()
    big = clf.predict(huge)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Pre-truncation keeps only the end, so the result equals that of the end alone...
    assert big.score == clf.predict(tail).score
    # ...and the discarded ten megabytes were never copied or tokenized: doing so
    # allocates 10 MB per copy and ~100 MB of tokens.
    assert peak < 5_000_000, peak


def test_many_texts_are_scored_in_bounded_chunks(clf):
    texts = [f"review number {i} was great" if i % 2 else f"review {i} awful" for i in range(3000)]
    scores = clf.predict_proba(iter(texts))  # any iterable, consumed in chunks
    assert scores.shape == (3000,)
    # Grouping into model calls moves the 7th decimal (see docs/python-api.md).
    np.testing.assert_allclose(scores[:5], clf.predict_proba(texts[:5]), atol=1e-6)


def test_a_path_given_to_the_constructor_names_load(tmp_path):
    from edge_sentiment import TextClassifier

    for given in (str(tmp_path), tmp_path):
        with pytest.raises(TypeError, match=r"TextClassifier\.load\(path\)"):
            TextClassifier(given)
