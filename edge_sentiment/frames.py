"""Scoring a pandas DataFrame, one batch at a time: the function Dask's ``map_partitions``,
Spark's ``mapInPandas`` and Ray Data's ``map_batches`` call on their workers.

The bundle is loaded once per worker process (kept by path and backend) and reused by every
batch that process scores; only the path travels with the task, never the model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .classifier import SentimentClassifier
from .table_output import ADDED_COLUMNS, MULTILABEL_COLUMN

if TYPE_CHECKING:
    import pandas

_loaded: dict[tuple[str, str], SentimentClassifier] = {}
_loading = threading.Lock()


def classifier_for(model: str | Path | None = None, backend: str = "onnx") -> SentimentClassifier:
    """This process's classifier for ``model`` (loaded at the first call, then reused)."""
    key = ("" if model is None else str(Path(model).resolve()), backend)
    with _loading:
        if key not in _loaded:
            _loaded[key] = SentimentClassifier.load(model, backend=backend)
        return _loaded[key]


def score_frame(frame: pandas.DataFrame, text_column: str = "text", *, model: str | Path | None = None,
                backend: str = "onnx", all_scores: bool | None = None) -> pandas.DataFrame:
    """``frame`` with the predictions of its ``text_column`` added as columns, as ``predict --file``
    adds them to a CSV: ``predicted_label``,
    ``score`` (binary: P(positive class)), for a multilabel bundle ``predicted_labels`` (joined by
    the training file's separator, ``|`` by default), and with ``all_scores`` (default: when
    the bundle has more than two labels) ``score_<label>`` for every label. The index and every
    other column are kept. A missing text (None, NaN, ``pd.NA``) gets a missing prediction (None,
    NaN); an empty frame gets the same columns, empty (Dask infers its ``meta`` from either). ``model``: a bundle directory every worker can read (default: the shipped one).

    Dask: ``ddf.map_partitions(score_frame, "text", model=path)``; Spark:
    ``df.mapInPandas(lambda batches: (score_frame(b, model=path) for b in batches), schema)``;
    Ray: ``ds.map_batches(score_frame, batch_format="pandas", fn_kwargs={"model": path})``.
    """
    import numpy as np
    import pandas

    classifier = classifier_for(model, backend)
    if text_column not in frame.columns:
        raise ValueError(f"no column {text_column!r} to score; the columns are: {', '.join(map(str, frame.columns))}")
    labels = classifier.labels if (all_scores if all_scores is not None else len(classifier.labels) > 2) else ()
    multilabel = classifier.task == "multilabel"
    added = [*ADDED_COLUMNS, *([MULTILABEL_COLUMN] if multilabel else []), *(f"score_{label}" for label in labels)]
    clash = [name for name in added if name in frame.columns]
    if clash:
        raise ValueError(f"the frame already has a column named {', '.join(map(repr, clash))}, which score_frame adds; "
                         "rename or drop it first")
    present = frame[text_column].notna().to_numpy()
    texts = _texts(frame[text_column][present], text_column)
    predictions = classifier.predict_batch(texts)
    scored = frame.copy(deep=False)
    # pandas' string dtype whatever it would infer: one dtype for empty, full and partly missing
    # batches (Dask compares each with its meta), which Parquet stores as strings.
    scored["predicted_label"] = pandas.Series(_spread([p.label for p in predictions], present, None), index=frame.index,
                                              dtype=pandas.StringDtype())
    scored["score"] = _spread([p.score for p in predictions], present, np.nan).astype(np.float64)
    if multilabel:
        joined = [classifier.bundle.label_separator.join(p.labels) for p in predictions]
        scored[MULTILABEL_COLUMN] = pandas.Series(_spread(joined, present, None), index=frame.index,
                                                  dtype=pandas.StringDtype())
    for label in labels:
        scored[f"score_{label}"] = _spread([p.scores[label] for p in predictions], present, np.nan).astype(np.float64)
    return scored


def _spread(values: list, present, missing):
    """``values`` at the rows where a text is present, ``missing`` elsewhere (an object array)."""
    import numpy as np

    out = np.full(len(present), missing, dtype=object)
    out[np.flatnonzero(present)] = values
    return out


def _texts(column: pandas.Series, name: str) -> list[str]:
    texts = column.tolist()
    for row, text in zip(column.index, texts):
        if not isinstance(text, str):
            raise ValueError(f"column {name!r} at index {row!r} is a {type(text).__name__}, not a string; "
                             f"convert the column first (frame[{name!r}].astype(str))")
    return texts
