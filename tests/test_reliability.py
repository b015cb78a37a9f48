"""Nothing lost, nothing hung: the API under failing inputs, forks, dead workers and other threads."""

import multiprocessing
import os
import pickle
import re
import signal
import threading
import time
import tracemalloc
import warnings

import numpy as np
import pytest

from edge_sentiment import SentimentClassifier
from edge_sentiment.batch_scoring import SORT_WINDOW
from edge_sentiment.cli_output import preview
from edge_sentiment.parallel import WorkerPoolError
from edge_sentiment.text import _token_pattern, normalize, tokenize
from test_threads import make_texts

TWO_WINDOWS = 2 * SORT_WINDOW + 17  # enough texts for the worker pool to be used


@pytest.fixture(scope="module")
def clf():
    return SentimentClassifier.load()


@pytest.fixture(scope="module")
def texts():
    return make_texts(TWO_WINDOWS, seed=11)


@pytest.fixture(scope="module")
def serial_scores(clf, texts):
    return clf.predict_proba(texts)


def failing_after(texts, n, error=ValueError("the source broke")):
    yield from texts[:n]
    raise error


@pytest.mark.parametrize("fail_at", [0, 3, SORT_WINDOW, 5000])
def test_iter_predict_delivers_everything_before_a_failing_input(clf, texts, serial_scores, fail_at):
    delivered = []
    with pytest.raises(ValueError, match="the source broke"):
        for text, prediction in clf.iter_predict(failing_after(texts, fail_at)):
            delivered.append(prediction.score)
    assert len(delivered) == fail_at
    # Scores of the same texts in the same windows (grouping moves the 7th decimal).
    np.testing.assert_array_equal(delivered, clf.predict_proba(texts[:fail_at]))


def test_a_non_string_item_is_refused_after_the_texts_before_it(clf):
    delivered = []
    with pytest.raises(TypeError, match="text must be str, got int"):
        for text, _ in clf.iter_predict(["good", "bad", 5, "never read"]):
            delivered.append(text)
    assert delivered == ["good", "bad"]


def test_the_worker_path_delivers_everything_before_a_failing_input(clf, texts):
    with SentimentClassifier.load(workers=2) as pooled:
        delivered = []
        with pytest.raises(ValueError):
            for _, prediction in pooled.iter_predict(failing_after(texts, 5000)):
                delivered.append(prediction.score)
    np.testing.assert_array_equal(delivered, clf.predict_proba(texts[:5000]))


def test_lone_surrogates_separate_words_and_do_not_fail_a_batch(clf):
    assert tokenize("great \ud800 film\udcff") == ["great", "film"]
    assert tokenize("gre\udfffat") == ["gre", "at"] == _token_pattern().findall(normalize("gre\udfffat"))
    scores = clf.predict_proba(["great \ud800 film", "great film", "\ud800"])
    np.testing.assert_array_equal(scores, clf.predict_proba(["great film", "great film", ""]))


def test_a_data_frame_is_refused_with_the_way_to_pass_its_column(clf):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"text": ["great film", "awful"]})
    with pytest.raises(TypeError, match=r"pass the column that holds the texts, e\.g\. df\['text'\]"):
        clf.predict_proba(frame)
    np.testing.assert_array_equal(clf.predict_proba(frame["text"]), clf.predict_proba(["great film", "awful"]))


def test_a_classifier_pickles_by_reloading_its_bundle(clf):
    copy = pickle.loads(pickle.dumps(clf))
    assert copy.bundle.path == clf.bundle.path and copy.backend == clf.backend
    assert copy.predict("a fine film") == clf.predict("a fine film")


def test_preview_reads_only_the_head_of_a_huge_line():
    assert preview("great\n film\t  of\u2028the year") == "great film of the year"
    assert preview("word " * 100) == ("word " * 14)[:67] + "..."
    huge = "spam " * 10_000_000  # 50 MB
    tracemalloc.start()
    try:
        shown = preview(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert shown.startswith("spam spam") and len(shown) == 70
    assert peak < 100_000  # splitting the whole line would allocate hundreds of MB


# --- worker processes -------------------------------------------------------


def _wait_for_exit(pid: int, seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_forked_child_gets_its_own_pool(texts, serial_scores):
    clf = SentimentClassifier.load(workers=2)
    np.testing.assert_array_equal(clf.predict_proba(texts), serial_scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() in a process with threads
        pid = os.fork()
    if pid == 0:  # the child: its parent's pool is not usable here
        try:
            ok = np.array_equal(clf.predict_proba(texts), serial_scores)
        finally:
            os._exit(0 if ok else 3)
    assert _wait_for_exit(pid, 120) == 0, "the child hung or scored differently"
    np.testing.assert_array_equal(clf.predict_proba(texts), serial_scores)  # the parent's pool still works
    clf.close()


def test_a_killed_worker_is_reported_and_the_next_call_starts_new_ones(texts, serial_scores):
    clf = SentimentClassifier.load(workers=2)
    others = {p.pid for p in multiprocessing.active_children()}
    clf.predict_proba(texts)
    workers = [p for p in multiprocessing.active_children() if p.pid not in others]
    assert len(workers) == 2
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].join(10)
    # The pool notices the death on its own thread, so a call may still finish on the
    # live worker, fail and say so, or (death noticed before it) warn and start new
    # workers. Each outcome keeps the scores; no call hangs; new workers take over.
    outcomes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            try:
                np.testing.assert_array_equal(clf.predict_proba(texts), serial_scores)
                outcomes.append("scored")
            except WorkerPoolError as exc:
                assert re.search("was killed by SIGKILL.*next call starts new workers", str(exc)), exc
                outcomes.append("failed")
    restarts = [str(w.message) for w in caught if "starting new workers" in str(w.message)]
    assert all("was killed by SIGKILL since the last call" in m for m in restarts), restarts
    assert outcomes[-1] == "scored" and outcomes.count("failed") <= 1
    clf.close()


def test_close_from_another_thread_lets_the_running_call_finish(texts, serial_scores):
    clf = SentimentClassifier.load(workers=2)
    started, results, errors = threading.Event(), [], []

    def consume():
        try:
            for _, prediction in clf.iter_predict(texts):
                started.set()
                results.append(prediction.score)
                time.sleep(0.00005)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    assert started.wait(60)
    clf.close()
    worker.join(120)
    assert not errors and not worker.is_alive()
    np.testing.assert_array_equal(results, serial_scores)
    np.testing.assert_array_equal(clf.predict_proba(texts), serial_scores)  # and a later call starts anew
    clf.close()


def score_in_daemonic_worker(texts):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with SentimentClassifier.load(workers=2) as clf:
            scores = clf.predict_proba(texts)
    return scores, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def test_workers_inside_a_daemonic_process_fall_back_to_this_process(texts, serial_scores):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        scores, messages = pool.apply(score_in_daemonic_worker, (texts,))
    np.testing.assert_array_equal(scores, serial_scores)
    assert any("daemonic process" in m and "tokenizing in this process instead" in m for m in messages)
