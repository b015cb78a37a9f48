"""The seed-preset bundles in artifacts/presets: they load, every backend agrees,
and each one's recorded test accuracy is within one point of its seed's figure."""

import json

import numpy as np
import pytest

from conftest import PRESET_BUNDLES, needs_presets
from edge_sentiment import SentimentClassifier
from edge_sentiment.manifest import Manifest

pytestmark = needs_presets
TEXTS = ["a wonderful, moving film", "not good at all, a waste of time", "", "the plot was fine but the acting was not"]


def test_there_is_a_bundle_for_every_seed_preset():
    from edge_sentiment_export.config import PRESETS

    seeds = {name for name, config in PRESETS.items() if config.seed_accuracy is not None}
    assert {p.name for p in PRESET_BUNDLES} == seeds


@pytest.mark.parametrize("bundle", PRESET_BUNDLES, ids=lambda p: p.name)
def test_preset_bundle_meets_its_seed_and_backends_agree(bundle):
    pytest.importorskip("ai_edge_litert", reason="the tflite backend needs the 'tflite' extra")
    manifest = Manifest.from_dict(json.loads((bundle / "manifest.json").read_text()))  # format 2, read as format 3
    config, tested = manifest.training.config, manifest.metrics.test["onnx"]
    assert tested.accuracy >= config["seed_accuracy"] - 0.01 and tested.texts == 25_000
    scores = {b: SentimentClassifier.load(bundle, backend=b).predict_proba(TEXTS) for b in ("onnx", "tflite", "numpy")}
    for backend in ("tflite", "numpy"):
        np.testing.assert_allclose(scores[backend], scores["onnx"], atol=1e-5, err_msg=backend)
    assert (bundle / "training_curves.png").is_file() and config["seed_model"]
