"""One classifier shared by 8 threads gives exactly the serial results."""

import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from edge_sentiment import SentimentClassifier

WORDS = "great awful film plot boring superb acting dull moving waste loved hated the a and".split()


def make_texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(0, 300))) for _ in range(n)]


@pytest.mark.parametrize("backend", ["onnx", "tflite"])
def test_eight_threads_match_serial(backend):
    if backend == "tflite":
        pytest.importorskip("ai_edge_litert", reason="needs the 'tflite' extra")
    clf = SentimentClassifier.load(backend=backend)
    jobs = [make_texts(int(n), seed) for seed, n in enumerate(np.random.default_rng(0).integers(1, 40, size=64))]
    serial = [clf.predict_proba(texts) for texts in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(clf.predict_proba, jobs))
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
    singles = [clf.predict(t) for t in jobs[0]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(clf.predict, jobs[0])) == singles


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_pipelined_windows_keep_input_order(backend, monkeypatch):
    """More texts than one sort window: encoding overlaps scoring on a worker
    thread; every score must still land on its own text."""
    from edge_sentiment import batch_scoring

    monkeypatch.setattr(batch_scoring, "SORT_WINDOW", 7)
    clf = SentimentClassifier.load(backend=backend)
    rng = np.random.default_rng(5)
    words = ["great", "awful", "film", "plot", "superb", "dull", "not", "bad", "the", "acting"]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 30))) for _ in range(45)]
    together = clf.predict_proba(iter(texts))  # a generator, as a streaming caller passes
    one_by_one = np.array([clf.predict(t).score for t in texts], dtype=np.float32)
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    assert len(clf.predict_proba(texts[:7])) == 7 and len(clf.predict_proba([])) == 0
    streamed = list(clf.iter_predict(t for t in texts))
    assert [text for text, _ in streamed] == texts
    np.testing.assert_allclose([p.score for _, p in streamed], one_by_one, atol=1e-6)
    with pytest.raises(TypeError, match="single string"):
        clf.iter_predict("one review")  # refused at the call, not at the first next()


@pytest.mark.parametrize("backend", ["onnx", "numpy"])
def test_a_batch_scores_the_same_whether_or_not_its_model_calls_overlap_encoding(backend, monkeypatch):
    """From two model calls' worth of texts on, a backend that releases the GIL scores each call on a
    thread while the next call's texts are encoded, if scoring was measured to cost enough; the
    scores are those of the calls made here, and the cost it last measured decides the next batch."""
    from edge_sentiment.batch_scoring import DEFAULT_BATCH_SIZE, OVERLAP_SHARE

    clf = SentimentClassifier.load(backend=backend)
    texts = make_texts(2 * DEFAULT_BATCH_SIZE + 37, seed=11)
    scored_on = []
    score_ids = clf._batches.score_ids
    monkeypatch.setattr(clf._batches, "score_ids", lambda ids: scored_on.append(threading.current_thread().name) or score_ids(ids))

    def scores_and_threads(share: float | None) -> tuple[np.ndarray, set[str]]:
        clf._batches.scoring_share = share
        scored_on.clear()
        return clf.predict_proba(texts), set(scored_on)

    here, here_threads = scores_and_threads(OVERLAP_SHARE / 2)
    assert here_threads == {threading.current_thread().name}
    assert clf._batches.scoring_share > 0  # measured again
    overlapped, overlapped_threads = scores_and_threads(None)
    np.testing.assert_array_equal(overlapped, here)
    if backend == "onnx":
        assert overlapped_threads and threading.current_thread().name not in overlapped_threads
    else:  # the NumPy backend holds the GIL: its calls stay here
        assert overlapped_threads == here_threads
    one_by_one = np.array([clf.predict(t).score for t in texts], dtype=np.float32)
    np.testing.assert_allclose(overlapped, one_by_one, atol=1e-6)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_child_forked_while_a_thread_is_in_a_tflite_call_still_scores():
    """LiteRT calls take turns behind a lock; a process forked while another thread is in a call
    inherits that lock held and the call's hold on the interpreter: the child gets a lock and an
    interpreter of its own instead of waiting forever or failing."""
    pytest.importorskip("ai_edge_litert", reason="needs the 'tflite' extra")
    from edge_sentiment import forks
    from edge_sentiment.backends.tflite import _Serialised

    earlier = set(forks._OWNERS)
    clf = SentimentClassifier.load(backend="tflite")
    (calls,) = [owner for owner in forks._OWNERS if isinstance(owner, _Serialised) and owner not in earlier]
    del earlier
    texts = make_texts(5, seed=1)
    expected = clf.predict_proba(texts).tolist()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    # As another thread in the middle of a call: the lock held, and a reference into the
    # interpreter that LiteRT counts (it refuses to run while there is one).
    with calls.lock:
        in_the_call = calls.interpreter._interpreter  # noqa: F841
        child = context.Process(target=lambda: results.put(clf.predict_proba(texts).tolist()))
        child.start()
    try:
        assert results.get(timeout=30) == expected
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
