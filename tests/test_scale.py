"""Scale-out: ``score_frame`` on pandas batches, and the Dask recipe of docs/serving.md run for
real (a LocalCluster of 2 worker processes reads CSV files, scores, writes Parquet)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SHIPPED_BUNDLE

pd = pytest.importorskip("pandas", reason="score_frame needs the 'scale' extra")

from edge_sentiment import SentimentClassifier  # noqa: E402
from edge_sentiment.frames import score_frame  # noqa: E402


def _texts(count: int) -> list[str]:
    words = ["great", "awful", "film", "plot", "acting", "boring", "superb", "the", "was", "not"]
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(words, size=rng.integers(1, 40))) for _ in range(count)]


def test_score_frame_adds_the_predictions_and_keeps_everything_else():
    frame = pd.DataFrame({"id": [10, 11, 12], "review": ["great film", "dull", ""]}, index=[5, 6, 7])
    scored = score_frame(frame, "review")
    expected = SentimentClassifier.load().predict_batch(frame["review"].tolist())
    assert list(scored.columns) == ["id", "review", "predicted_label", "score"] and list(scored.index) == [5, 6, 7]
    assert scored["predicted_label"].tolist() == [p.label for p in expected]
    assert scored["score"].tolist() == pytest.approx([p.score for p in expected], abs=1e-6)
    assert list(score_frame(frame, "review", all_scores=True).columns)[-2:] == ["score_negative", "score_positive"]
    empty = score_frame(frame.iloc[:0], "review")
    assert list(empty.columns) == list(scored.columns) and len(empty) == 0
    assert list(frame.columns) == ["id", "review"]  # the caller's frame is left as it was


def test_a_missing_text_gets_a_missing_prediction():
    scored = score_frame(pd.DataFrame({"text": ["great film", None, float("nan"), pd.NA, "dull"]}))
    assert scored["predicted_label"].isna().tolist() == [False, True, True, True, False]
    assert scored["predicted_label"][[0, 4]].tolist() == ["positive", "negative"]
    assert scored["score"].isna().tolist() == [False, True, True, True, False]


def test_score_frame_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match="no column 'text' to score; the columns are: review"):
        score_frame(pd.DataFrame({"review": ["a"]}))
    with pytest.raises(ValueError, match=r"column 'text' at index 0 is a int, not a string; convert the column first"):
        score_frame(pd.DataFrame({"text": [3]}))
    with pytest.raises(ValueError, match="already has a column named 'score'"):
        score_frame(pd.DataFrame({"text": ["a"], "score": [1]}))


def test_dask_scores_csv_files_into_parquet_as_in_process_scoring_does(tmp_path):
    dd = pytest.importorskip("dask.dataframe", reason="the Dask recipe needs the 'scale' extra")
    distributed = pytest.importorskip("distributed", reason="the Dask recipe needs the 'scale' extra")
    from edge_sentiment import frames

    texts = _texts(4000)
    for part in range(4):
        pd.DataFrame({"id": range(part * 1000, (part + 1) * 1000), "text": texts[part * 1000 : (part + 1) * 1000]}).to_csv(
            tmp_path / f"texts-{part}.csv", index=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        texts_frame = dd.read_csv(str(tmp_path / "texts-*.csv"), blocksize=None)
        scored = texts_frame.map_partitions(score_frame, "text", model=str(SHIPPED_BUNDLE))
        scored.to_parquet(tmp_path / "scored")
        loaded_per_worker = client.run(lambda: len(frames._loaded))
    assert sorted(loaded_per_worker.values()) in ([1, 1], [0, 1])  # once per worker process that scored
    result = pd.read_parquet(tmp_path / "scored").sort_values("id")
    expected = SentimentClassifier.load().predict_proba(texts)
    assert result["id"].tolist() == list(range(4000)) and result["text"].tolist() == texts
    assert np.abs(result["score"].to_numpy() - expected).max() <= 1e-6
    assert result["predicted_label"].tolist() == ["positive" if p >= 0.5 else "negative" for p in expected]
