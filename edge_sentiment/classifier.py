"""The public API: load a bundle once, then score texts."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .backends import load_backend
from .batch_scoring import BatchScorer, checked_text
from .bundle import Bundle, load_bundle
from .constants import DEFAULT_THRESHOLD, PAD_ID
from .encoding import Encoder
from .tasks import label_scores

if TYPE_CHECKING:
    from .explain import Explainer, Explanation
    from .reports import EvaluationReport

@dataclass(frozen=True)
class Prediction:
    """One result. ``label``: the predicted label; ``score``: for a binary bundle the probability
    of the positive class (``labels[1]``), otherwise the predicted label's probability;
    ``scores``: each label's probability, highest first (the ``top_k`` highest when
    :meth:`TextClassifier.predict` is given ``top_k``); ``labels``: the labels predicted
    (multilabel: every label whose score reaches its threshold, best first — when none does, the
    best-scoring label if the bundle's ``min_labels`` is 1, else none — and ``label`` the first of
    them, or the best-scoring label when there is none; otherwise just ``label``)."""

    label: str
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    labels: tuple[str, ...] = ()


def prediction_record(text: str, prediction: Prediction, *, multilabel: bool, top_k: int | None = None) -> dict:
    """One prediction as JSON, the same for ``predict --json`` and the HTTP API: text, label,
    score, (multilabel) labels, and the ``top_k`` highest scores (all when None), 6 decimals."""
    record: dict = {"text": text, "label": prediction.label, "score": round(prediction.score, 6)}
    if multilabel:
        record["labels"] = list(prediction.labels)
    record["scores"] = {label: round(value, 6) for label, value in itertools.islice(prediction.scores.items(), top_k)}
    return record


class SentimentClassifier:
    """A text classifier ready to score text. Create it with :meth:`load`.

    Thread-safe: one instance may be shared by many threads. Picklable: an
    unpickled copy loads the same bundle path again (for Ray, Dask, Spark).
    """

    def __init__(
        self, bundle: Bundle, backend: str = "onnx", threshold: float | None = None, workers: int = 1,
        thresholds: dict[str, float] | None = None,
    ) -> None:
        if not isinstance(bundle, Bundle):
            raise TypeError(f"TextClassifier() takes a loaded Bundle, got {type(bundle).__name__} {bundle!r}; "
                            "to load a bundle folder use TextClassifier.load(path)")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.bundle = bundle
        self.backend = backend
        self.task = bundle.manifest.task
        #: The label names, in output order.
        self.labels: tuple[str, ...] = tuple(bundle.labels)
        self.threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        #: Multilabel: each label's decision threshold (the bundle's, unless overridden).
        self.thresholds = _label_thresholds(bundle, threshold, thresholds)
        #: Processes that tokenize large batches (more than SORT_WINDOW texts); 1: this process only.
        self.workers = workers
        self._encoder = Encoder(bundle.vocab, bundle.encoding)
        self._run = load_backend(backend, bundle)
        self._pool = None
        self._pool_lock = threading.Lock()
        self._explainer: Explainer | None = None  # built on first use
        self._batches = BatchScorer(self._encoder.encode, self._score_ids, bundle.io.outputs, self._run.releases_gil,
                                    self._worker_pool)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        backend: str = "onnx",
        threshold: float | None = None,
        workers: int = 1,
        thresholds: dict[str, float] | None = None,
    ) -> SentimentClassifier:
        """Load the bundle at ``path``; ``None`` loads the model shipped with the package.

        ``threshold``: a binary bundle's decision threshold on P(positive) (default 0.5); for a
        multilabel bundle, one threshold for every label instead of the bundle's fitted ones.
        ``thresholds``: a multilabel bundle's thresholds of some labels, by name.

        ``workers`` > 1 tokenizes large batches in that many worker processes
        (started at the first batch of more than SORT_WINDOW texts; see :meth:`close`).
        """
        return cls(load_bundle(path), backend=backend, threshold=threshold, workers=workers, thresholds=thresholds)

    def close(self) -> None:
        """Stop the worker processes, if any were started (they also stop when Python exits).

        A call running in another thread finishes first; a later call starts new workers.
        """
        pool = self._take_pool()
        if pool is not None:
            pool.close()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(bundle={str(self.bundle.path)!r}, name={self.bundle.manifest.name!r}, "
                f"backend={self.backend!r}, task={self.task!r}, labels={self.labels!r})")

    def __reduce__(self):
        return _reload, (str(self.bundle.path), self.backend, self.threshold, self.workers, self.thresholds)

    def __enter__(self) -> SentimentClassifier:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):  # Ctrl-C, SystemExit
            self._abandon_pool()
        else:
            self.close()

    def _abandon_pool(self) -> None:
        pool = self._take_pool()
        if pool is not None:
            pool.abandon()

    def _take_pool(self):
        with self._pool_lock:
            pool, self._pool = self._pool, None
        return pool

    def predict(self, text: str, top_k: int | None = None) -> Prediction:
        """Classify one text; ``top_k`` keeps that many of the highest ``scores``."""
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
        return self._prediction(self._score_one(checked_text(text)), top_k)

    def _score_one(self, text: str) -> np.ndarray:
        """One text's output row, by the direct path: no windows or sorting for a single row."""
        if self._encoder.subwords is not None:
            kept, subwords = self._encoder.kept_with_subwords(text)
            one = self._one_text_path(kept)
            if one is not None:
                return one(kept, subwords)  # a single-text graph: no padded row
            return self._run(self._encoder.pad([kept], [subwords]))[0]
        kept = self._encoder.kept_array(text)
        one = self._one_text_path(kept)
        if one is not None:
            return one(kept)  # a single-text graph: no padded row
        return self._run(self._encoder.pad([kept]))[0]

    def explain(self, text: str, label: str | None = None) -> Explanation:
        """Which words drove the score of ``label`` (default: the predicted one; a binary
        bundle explains P(positive)): each kept token's contribution to that label's logit,
        with its characters in ``text`` (see :mod:`edge_sentiment.explain`)."""
        from .explain import Explainer

        prediction = self.predict(text)
        if label is not None and label not in self.labels:
            raise ValueError(f"label {label!r} is not one of this model's labels: {', '.join(self.labels)}")
        if self.task == "binary":  # one output, P(positive), whichever label is asked for
            column, chosen, score = 0, prediction.label, prediction.score
        else:
            chosen = prediction.label if label is None else label
            column, score = self.labels.index(chosen), prediction.scores[chosen]
        if self._explainer is None:  # (a race builds two equal ones)
            self._explainer = Explainer(self.bundle, self._encoder)  # (the words predict() just hashed)
        return self._explainer.explain(text, score, chosen, column)

    def evaluate(self, texts: Iterable[str], labels: Iterable) -> EvaluationReport:
        """This model's figures on ``texts`` with their true ``labels``: label names (a binary
        bundle also takes 1/0, true/false, pos/neg), or for a multilabel bundle a list of names
        per text. Returns an :class:`~edge_sentiment.reports.EvaluationReport`."""
        from .metrics import evaluation_report
        from .reports import EvaluationReport
        from .tables import binary_label, label_index
        from .tasks import targets

        texts, written = list(texts), list(labels)
        _refuse_non_sequence(texts)
        if len(written) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(written)} labels; give one label (or list) per text")
        where = lambda i: f"label {i}"  # noqa: E731
        fix = "rename such labels, or leave their texts out, before calling evaluate"
        ids: list  # label ids; multilabel: a tuple of them per text
        if self.task == "binary":
            ids = [binary_label(v, self.labels[1], self.labels[0], where(i)) for i, v in enumerate(written)]
        elif self.task == "multiclass":
            ids = [label_index(v, self.labels, where(i), fix) for i, v in enumerate(written)]
        else:
            ids = [tuple(sorted({label_index(v, self.labels, where(i), fix) for v in ([row] if isinstance(row, str) else row)}))
                   for i, row in enumerate(written)]
        scores = self.predict_proba(texts)
        figures = evaluation_report(targets(ids, self.task, len(self.labels)), scores, [len(self.bundle.encoding.tokenize(t)) for t in texts],
                                    self.threshold, names=self.labels, task=self.task,
                                    thresholds=[self.thresholds.get(n) for n in self.labels],
                                    min_labels=self.bundle.manifest.min_labels)
        return EvaluationReport.from_figures(self.task, figures)

    def score_ids(self, ids: np.ndarray) -> np.ndarray:
        """Scores of an ``(n, maxlen)`` id matrix (rows of :meth:`Encoder.encode`), as
        :meth:`predict_proba` computes them: a lone row takes the path :meth:`predict` takes."""
        return self._public(self._score_ids(ids))

    def _score_ids(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) == 1:
            kept = self._split(ids[0])  # pre-padded (a bundle with a one-text graph is)
            one = self._one_text_path(kept[0])
            if one is not None:
                return one(*kept)[None]
        return self._run(ids)

    def _split(self, row: np.ndarray) -> tuple[np.ndarray, ...]:
        """A padded row's kept ids (and, with subwords, kept subword ids): its non-pad entries."""
        if self._encoder.subwords is None:
            return (row[row != PAD_ID],)
        words, subwords = row[: self._encoder.config.maxlen], row[self._encoder.config.maxlen :]
        return words[words != PAD_ID], subwords[subwords != PAD_ID]

    def _public(self, scores: np.ndarray) -> np.ndarray:
        """Scores as the API returns them: ``(n,)`` P(positive) for binary, else ``(n, labels)``."""
        return scores[:, 0] if self.task == "binary" else scores

    def _one_text_path(self, kept: np.ndarray) -> Callable[..., np.ndarray] | None:
        """The backend's one-text path if one text's kept ids go to it, else None: the one place
        that chooses the graph for a single text."""
        return self._run.one if len(kept) >= self._run.one_min_steps else None

    def predict_batch(self, texts: Iterable[str]) -> list[Prediction]:
        """Classify many texts; the result has one :class:`Prediction` per text, in order."""
        _refuse_non_sequence(texts)
        return [self._prediction(row) for _, scores in self._scored_windows(texts) for row in scores]

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """Scores as a float32 array: for a binary bundle P(positive) of each text, shape
        ``(len(texts),)``; otherwise each label's probability, shape ``(len(texts), len(labels))``
        (columns in :attr:`labels` order; multiclass rows sum to 1)."""
        _refuse_non_sequence(texts)
        scores = [window_scores for _, window_scores in self._scored_windows(texts)]
        return self._public(np.concatenate(scores) if scores else np.zeros((0, self.bundle.io.outputs), dtype=np.float32))

    def iter_predict(self, texts: Iterable[str]) -> Iterator[tuple[str, Prediction]]:
        """Stream ``(text, Prediction)`` pairs in input order from any iterable of texts
        (a file object's lines, a generator): memory stays flat however many there are.

        If the iterable raises (or yields a non-string), every text before the
        failing item is still scored and delivered, then the error is raised.
        """
        _refuse_non_sequence(texts)  # now, not at the first next()
        return (
            (text, self._prediction(row))
            for window, window_scores in self._scored_windows(texts)
            for text, row in zip(window, window_scores)
        )

    def _scored_windows(self, texts: Iterable[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        """``(texts, scores)`` per window of texts, in order (edge_sentiment/batch_scoring.py)."""
        return self._batches.scored_windows(texts)

    def _worker_pool(self):
        """The pool of tokenizing processes, reserved for one call; None to tokenize here."""
        if self.workers == 1:
            return None
        reason = _why_workers_cannot_start()
        if reason is not None:
            warnings.warn(f"workers > 1 {reason}: tokenizing in this process instead", RuntimeWarning, stacklevel=4)
            return None
        with self._pool_lock:
            if self._pool is None or not self._pool.begin_call():
                # None yet, or forked from the process that started it, broken by a
                # dead worker, closed by another thread: this call gets a fresh pool.
                from .parallel import EncodingPool

                if self._pool is not None and self._pool.owned_here and self._pool.broken:
                    warnings.warn(f"a tokenizing worker process {self._pool.how_a_worker_died()} since the last "
                                  "call; starting new workers", RuntimeWarning, stacklevel=4)

                self._pool = EncodingPool(self.bundle.path, self.bundle.encoding, self.workers)
                self._pool.begin_call()
            return self._pool

    def _prediction(self, row: np.ndarray, top_k: int | None = None) -> Prediction:
        if self.task == "binary":  # (the common case, kept short: it runs once per text)
            score = float(row[0])
            negative, positive = self.labels
            ranked = {positive: score, negative: 1.0 - score} if score >= 0.5 else {negative: 1.0 - score, positive: score}
            label = positive if score >= self.threshold else negative
            return Prediction(label, score, ranked if top_k is None else dict(itertools.islice(ranked.items(), top_k)),
                              (label,))
        ranked = label_scores(row, self.labels)
        shown = ranked if top_k is None else dict(itertools.islice(ranked.items(), top_k))
        best, best_score = next(iter(ranked.items()))
        if self.task == "multiclass":
            return Prediction(best, best_score, shown, (best,))
        over = tuple(name for name, value in ranked.items() if value >= self.thresholds[name])
        if not over and self.bundle.manifest.min_labels:
            over = (best,)
        label = over[0] if over else best  # the best label that is predicted, else the best one
        return Prediction(label, ranked[label], shown, over)


def _refuse_non_sequence(texts: object) -> None:
    if isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of texts, got a single string; use predict(text) or pass [text]")
    kind = type(texts)
    if kind.__module__.split(".")[0] in ("pandas", "polars") and hasattr(texts, "columns"):
        # Iterating a data frame yields its column names, which would be scored as texts.
        raise TypeError(
            f"expected texts, got a {kind.__name__} (iterating it gives column names); "
            "pass the column that holds the texts, e.g. df['text']"
        )


def _why_workers_cannot_start() -> str | None:
    """Why this process cannot start tokenizing workers, or None if it can."""
    if multiprocessing.current_process().daemon:
        return "inside a daemonic process (e.g. a multiprocessing.Pool worker), which may not start processes"
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if getattr(getattr(main, "__spec__", None), "name", None) is None and main_file and not os.path.isfile(main_file):
        # A worker process imports the main module by its path; "<stdin>" (python - < script.py) has none.
        return f"from a main module that is not a file ({main_file}), which worker processes cannot import"
    return None


#: The classifier's name now that it classifies any text; ``SentimentClassifier`` stays for the code that uses it.
TextClassifier = SentimentClassifier


def _label_thresholds(bundle: Bundle, threshold: float | None, given: dict[str, float] | None) -> dict[str, float]:
    """A multilabel bundle's threshold per label: its own, else ``threshold`` for all, then ``given``."""
    if bundle.manifest.task != "multilabel":
        if given:
            raise ValueError(f"thresholds per label are for multilabel bundles; this one is {bundle.manifest.task}")
        return {}
    chosen = dict(zip(bundle.labels, bundle.manifest.thresholds or ()))
    if threshold is not None:
        chosen = dict.fromkeys(bundle.labels, threshold)
    for name, value in (given or {}).items():
        if name not in chosen:
            raise ValueError(f"threshold for {name!r}: not a label of this model ({', '.join(bundle.labels)})")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold for {name!r} must be between 0 and 1, got {value}")
        chosen[name] = float(value)
    return chosen


def _reload(path: str, backend: str, threshold: float, workers: int, thresholds: dict | None = None) -> SentimentClassifier:
    return SentimentClassifier.load(path, backend=backend, threshold=threshold, workers=workers,
                                    thresholds=thresholds or None)


def load(path: str | Path | None = None, **options) -> SentimentClassifier:
    """Shorthand for :meth:`SentimentClassifier.load`."""
    return SentimentClassifier.load(path, **options)
