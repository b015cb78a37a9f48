"""The int8 model computes the same numbers on every CPU: onnxruntime's output equals the
ONNX specification's integer arithmetic (the ONNX reference implementation, in NumPy),
so no CPU-specific int8 kernel (VNNI or not) can move a recorded score."""

import numpy as np
import pytest

from conftest import SHIPPED_BUNDLE
from edge_sentiment import SentimentClassifier, load_bundle
from edge_sentiment.conformance import read_cases
from edge_sentiment.encoding import Encoder

pytest.importorskip("onnx", reason="the ONNX reference implementation comes with onnx (the train extra)")
from edge_sentiment_export.int8 import describe, reference_scores, to_int8  # noqa: E402

#: float32 rounding: the integer parts are exact, the float ops around them may round differently.
FLOAT_ROUNDING = 1e-6


@pytest.fixture(scope="module")
def shipped_ids():
    bundle = load_bundle(SHIPPED_BUNDLE)
    return bundle, Encoder(bundle.vocab, bundle.encoding).encode([case["text"] for case in read_cases(bundle)])


def test_onnxruntime_int8_equals_the_specs_arithmetic_on_every_conformance_text(shipped_ids):
    bundle, ids = shipped_ids
    path = bundle.file("onnx_int8")
    with SentimentClassifier(bundle, backend="onnx-int8") as classifier:
        batch = classifier.score_ids(ids)
        one_by_one = np.concatenate([classifier.score_ids(ids[i: i + 1]) for i in range(0, len(ids), 7)])
    np.testing.assert_allclose(batch, reference_scores(path, ids), atol=FLOAT_ROUNDING, rtol=0)
    firsts = np.concatenate([reference_scores(path, ids[i: i + 1]) for i in range(0, len(ids), 7)])
    np.testing.assert_allclose(one_by_one, firsts, atol=FLOAT_ROUNDING, rtol=0)


def test_requantizing_reproduces_the_shipped_int8_scores(shipped_ids, tmp_path):
    bundle, ids = shipped_ids
    path = to_int8(bundle.file("onnx"), tmp_path / "model.int8.onnx")
    np.testing.assert_allclose(reference_scores(path, ids), reference_scores(bundle.file("onnx_int8"), ids),
                               atol=FLOAT_ROUNDING, rtol=0)
    assert "reduce_range" in describe(path)
    assert bundle.manifest.reports["quantization"]["method"] == describe(path)
