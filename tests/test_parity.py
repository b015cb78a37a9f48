"""The shipped bundle: Keras, ONNX, TFLite and NumPy give the same outputs (max |diff| <= 1e-5, same labels)."""

import numpy as np
import pytest

from conftest import SHIPPED_BUNDLE
from edge_sentiment.backends import load_backend
from edge_sentiment.bundle import load_bundle
from edge_sentiment.encoding import Encoder, pad_sequences

keras = pytest.importorskip("keras", reason="comparing with Keras needs the 'train' extra")
pytest.importorskip("ai_edge_litert", reason="the TFLite side needs the 'tflite' extra")
from edge_sentiment_export.model import load_keras_model  # noqa: E402
from edge_sentiment_export.parity import TOLERANCE, parity_failures, parity_report  # noqa: E402


@pytest.fixture(scope="module")
def shipped():
    bundle = load_bundle(SHIPPED_BUNDLE)
    model = load_keras_model(bundle.file("keras"))
    backends = {name: load_backend(name, bundle) for name in ("onnx", "tflite", "numpy")}
    return bundle, model, backends


def compare(shipped, ids: np.ndarray, rows_per_call: int = 2048) -> dict:
    _, model, backends = shipped
    reference = model.predict(ids, batch_size=1024, verbose=0)  # [n, 1], as every backend returns
    scores = {
        name: np.concatenate([run(ids[i : i + rows_per_call]) for i in range(0, len(ids), rows_per_call)])
        for name, run in backends.items()
    }
    return parity_report(reference, scores)


def test_generated_id_sequences(shipped):
    bundle = shipped[0]
    rng = np.random.default_rng(2024)
    lengths = rng.integers(0, bundle.io.maxlen * 2, size=300)
    sequences = [rng.integers(1, bundle.io.vocab_size, size=n).tolist() for n in lengths]
    ids = pad_sequences(sequences, bundle.io.maxlen)
    for rows_per_call in (1, 64, 2048):  # one row per call: the deepest cut of leading padding
        report = compare(shipped, ids, rows_per_call)
        assert parity_failures(report) == [], (rows_per_call, report)


@pytest.mark.slow
def test_real_test_texts(shipped, real_test_split):
    bundle = shipped[0]
    ids = Encoder(bundle.vocab, bundle.encoding).encode(real_test_split.texts)
    report = compare(shipped, ids)
    print("parity on", len(ids), "real test reviews:", report)
    assert parity_failures(report) == [], report


def test_parity_check_catches_nan_and_drift():
    reference = np.array([0.1, 0.6, 0.9], dtype=np.float32)
    assert parity_failures(parity_report(reference, {"same": reference.copy()})) == []
    drift = parity_failures(parity_report(reference, {"drift": reference + 2 * TOLERANCE}))
    assert drift and "exceeds" in drift[0]
    nan = parity_failures(parity_report(reference, {"nan": np.full(3, np.nan, dtype=np.float32)}))
    assert nan and "nan" in nan[0]
    other_shape = parity_failures(parity_report(reference[:, None], {"column": reference}))
    assert other_shape and "inf" in other_shape[0]
