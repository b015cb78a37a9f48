"""Choose the short-text training settings: train candidates, compare them on validation data.

For each candidate (a set of TrainingConfig overrides on the default preset) this
trains a Keras model exactly as the exporter does (review-level validation split,
training snippets, calibration folded into the final layer) and prints one JSON
line: validation accuracy and ECE (reviews + snippets, as calibrated on), the
short-text yardstick made from validation reviews, and, for the write-up only,
IMDB test accuracy/ECE and the short-text yardstick made from test reviews.
Settings are chosen on the validation columns. A TF-IDF bigram logistic
regression (scikit-learn, if installed) trained on the same reviews is the peer.

Usage: python benchmarks/short_texts.py DATA '{"short_snippets": 0}' '{"short_snippets": 2, "calibration": "platt"}' ...
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from edge_sentiment.encoding import Encoder
from edge_sentiment.metrics import binary_metrics, calibration_metrics
from edge_sentiment_export.stack import exporter_module

PROBES = ["not bad at all", "not terrible, actually quite fun", "hardly a dull moment",
          "this movie is not good", "ok", "great film"]


def summary(labels, scores) -> dict:
    m = {**binary_metrics(labels, scores), **calibration_metrics(labels, scores)}
    return {k: round(m[k], 4) for k in ("accuracy", "ece", "nll", "saturated")}


def run(exporter, data, overrides: dict) -> dict:
    from edge_sentiment_export import config as C
    from edge_sentiment_export.calibration import calibrate
    from edge_sentiment_export.snippets import short_text_set
    from edge_sentiment_export.train import fit
    from edge_sentiment_export.vocab import build_vocab, word_counts

    config = C.get_preset("default").with_overrides(**overrides)
    started = time.monotonic()
    vocab = build_vocab(word_counts(data.train.texts)[0], config.num_words)
    encoder = Encoder(vocab, config.encoding())
    fit_set, val_set, val_reviews = exporter._training_sets(config, data.train, lambda m: None)
    x_val, y_val = encoder.encode(val_set.texts), np.asarray(val_set.labels, dtype=np.float32)
    model, _ = fit(config, encoder.encode(fit_set.texts), np.asarray(fit_set.labels, dtype=np.float32),
                   verbose=0, validation=(x_val, y_val))
    if config.calibration != "none":
        calibrate(model, config.calibration, x_val, y_val)
    score = lambda texts: model.predict(encoder.encode(texts), batch_size=1024, verbose=0).reshape(-1)  # noqa: E731
    val_short = short_text_set(val_reviews, 5000, config.seed)
    test_short = short_text_set(data.test, 5000, config.seed)
    return {
        "overrides": overrides,
        "train_seconds": round(time.monotonic() - started),
        "validation": summary(y_val, model.predict(x_val, batch_size=1024, verbose=0).reshape(-1)),
        "validation_texts": summary(val_reviews.labels, score(val_reviews.texts)),
        "validation_short": summary(val_short.labels, score(val_short.texts)),
        "test": summary(data.test.labels, score(data.test.texts)),
        "test_short": summary(test_short.labels, score(test_short.texts)),
        "probes": {t: round(float(s), 4) for t, s in zip(PROBES, score(PROBES))},
    }


def tfidf_peer(data) -> dict | None:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    from edge_sentiment_export.snippets import short_text_set

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = LogisticRegression(C=4.0, max_iter=1000).fit(vectorizer.fit_transform(data.train.texts), data.train.labels)
    score = lambda texts: model.predict_proba(vectorizer.transform(texts))[:, 1]  # noqa: E731
    test_short = short_text_set(data.test, 5000, 1234)
    return {"peer": "tf-idf bigram logistic regression", "test": summary(data.test.labels, score(data.test.texts)),
            "test_short": summary(test_short.labels, score(test_short.texts)),
            "probes": {t: round(float(s), 4) for t, s in zip(PROBES, score(PROBES))}}


def main() -> None:
    from edge_sentiment_export.data import load_imdb

    data = load_imdb(sys.argv[1])
    exporter = exporter_module()
    for text in sys.argv[2:]:
        if text == "tfidf":
            print(json.dumps(tfidf_peer(data)), flush=True)
        else:
            print(json.dumps(run(exporter, data, json.loads(text))), flush=True)


if __name__ == "__main__":
    main()
