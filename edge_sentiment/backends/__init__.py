"""Inference backends. Each module offers ``load(bundle, file_key) -> predict``, where
``predict(ids)`` maps an ``(n, maxlen)`` int32 id matrix to an ``(n, outputs)`` float32
matrix of scores (``outputs`` 1 for a binary bundle: P(labels[1]); else one per label,
edge_sentiment/tasks.py). Backends are imported only when chosen,
so a missing optional dependency costs nothing until it is asked for.
:func:`load_backend` returns a :class:`Predictor`: that callable, plus, where the
backend has a graph for it, a direct path for one text's unpadded ids.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..bundle import Bundle
from ..constants import PAD_ID
from ..errors import BundleError
from ..manifest import BACKEND_FILES

PredictFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Predictor:
    """``predictor(ids)`` scores an ``(n, maxlen)`` id matrix. ``one(kept)``, when not None,
    scores one text from its ids without padding (1-D int32, ``one_min_steps`` to maxlen
    of them; its ``outputs`` scores), skipping the padded row the matrix path would build and strip again."""

    batch: PredictFn
    #: ``one(kept)``, or ``one(kept, subwords)`` for a bundle with subwords.
    one: Callable[..., np.ndarray] | None = None
    one_min_steps: int = 1
    #: Whether ``batch`` computes with the GIL released (onnxruntime, LiteRT), so that a thread
    #: scoring one call and this one tokenizing the next run at the same time.
    releases_gil: bool = True

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        return self.batch(ids)

#: backend name -> (module that runs it, the bundle's ``files`` key it reads)
BACKENDS: dict[str, tuple[str, str]] = {
    name: (f"edge_sentiment.backends.{name.split('-')[0]}", key) for name, key in BACKEND_FILES.items()
}


def load_backend(name: str, bundle: Bundle) -> Predictor:
    """The predictor of backend ``name`` for ``bundle``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    module_name, file_key = BACKENDS[name]
    predict = importlib.import_module(module_name).load(bundle, file_key)
    predictor = predict if isinstance(predict, Predictor) else Predictor(predict)
    where = f"{bundle.path}: the {name} model"
    batch, one = predictor.batch, predictor.one
    outputs = bundle.io.outputs
    checked = Predictor(
        lambda ids: checked_scores(batch(ids), len(ids), outputs, where),
        None if one is None else (lambda *kept: checked_row(one(*kept), outputs, where)),
        predictor.one_min_steps,
        predictor.releases_gil,
    )
    from ..probe import check_belongs  # (it imports the encoder, which a backend does not need)

    check_belongs(bundle, name, checked)
    return checked


def checked_scores(scores: np.ndarray, rows: int, outputs: int, where: str) -> np.ndarray:
    """``scores`` if they are ``(rows, outputs)`` finite float32 probabilities; a model that
    returns anything else (NaN, -1, 5, float64, another width) is an error, never a label."""
    scores = np.asarray(scores)
    if scores.shape != (rows, outputs) or scores.dtype != np.float32:
        raise BundleError(f"{where} returned {scores.dtype} scores of shape {scores.shape} for {rows} texts; "
                          f"expected float32 of shape ({rows}, {outputs}): the bundle is broken, re-export it")
    # One test that NaN fails too; a few scores (one text) are checked as Python floats, faster than ufuncs.
    if scores.size <= 64:
        ok = all(0.0 <= value <= 1.0 for value in scores.ravel().tolist())
    else:
        ok = bool(np.logical_and(scores >= 0.0, scores <= 1.0).all())
    if not ok:
        bad = scores[~((scores >= 0) & (scores <= 1))][0]
        raise BundleError(f"{where} returned the score {bad}, not a probability in [0, 1]: the bundle is broken, re-export it")
    return scores


def checked_row(scores: np.ndarray, outputs: int, where: str) -> np.ndarray:
    """:func:`checked_scores` of one text's row, ``(outputs,)`` (its own test: one call per text)."""
    if type(scores) is np.ndarray and scores.shape == (outputs,) and scores.dtype == np.float32:
        if all(0.0 <= value <= 1.0 for value in scores.tolist()):
            return scores
    return checked_scores(np.asarray(scores)[None], 1, outputs, where)[0]  # (raises what is wrong)


def trim_leading_padding(ids: np.ndarray) -> np.ndarray:
    """Drop the leading columns that are padding in every row (keeping at least one).

    With pre-padding a short text is mostly padding; a model exported with
    ``onnx_trims_leading_padding`` starts its RNN from the state those columns
    would have led to, so it returns the same scores for less work.
    """
    used = np.flatnonzero((ids != PAD_ID).any(axis=0))
    first = int(used[0]) if len(used) else ids.shape[1] - 1
    return ids[:, first:]


def trim_subword_padding(ids: np.ndarray, word_columns: int) -> np.ndarray:
    """Drop the leading subword columns (after the first ``word_columns``) that are padding in
    every row (keeping at least one). The subword bag is a masked mean, so a model exported with
    ``onnx_trims_subword_padding`` returns the same scores, gathering fewer pad ids."""
    subwords = trim_leading_padding(ids[:, word_columns:])
    return ids if subwords.shape[1] == ids.shape[1] - word_columns else np.concatenate([ids[:, :word_columns], subwords], axis=1)


def available_backends(bundle: Bundle) -> list[str]:
    """The backends whose file ``bundle`` has."""
    return [name for name, (_, key) in BACKENDS.items() if key in bundle.manifest.files]
