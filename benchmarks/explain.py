"""Are explanations faithful, and what do they cost? On IMDB test reviews, in one run.

    python benchmarks/explain.py [--model DIR] [--data TARBALL] [--reviews 500] [--all]

Deletion curve: for K = 1, 3, 5, 10, delete from each review (by their spans) the K tokens that
most support its predicted class, by three rankings: the explanation's contributions,
leave-one-out occlusion (each token's own deletion, scored by the model), and a seeded random
draw; report how far the score moves toward the other class, on average. Timing: explain
against predict, one review per call, on the reviews of median length and on all of them.
``--all`` also checks the invariants (base + sum = logit, sigmoid(logit) = score) on every
test review.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np

from edge_sentiment import SentimentClassifier

from bench import DEFAULT_DATA

KS = (1, 3, 5, 10)


def deleted(text: str, tokens) -> str:
    """``text`` without the characters of ``tokens`` (each replaced by a space, so that the
    words around it stay apart)."""
    out, cursor = [], 0
    for token in sorted(tokens, key=lambda t: t.start):
        if token.start < cursor:
            continue
        out += [text[cursor : token.start], " "]
        cursor = token.end
    return "".join(out) + text[cursor:]


def toward_other_class(before: float, after: np.ndarray, positive: bool) -> np.ndarray:
    return (before - after) if positive else (after - before)


def deletion_curve(clf, texts: list[str], seed: int = 0) -> dict[str, dict[int, float]]:
    rng = np.random.default_rng(seed)
    moves = {name: {k: [] for k in KS} for name in ("explanation", "occlusion", "random")}
    for text in texts:
        e = clf.explain(text)
        if not e.tokens:
            continue
        positive = e.label == clf.bundle.labels[1]
        sign = 1.0 if positive else -1.0
        by_contribution = sorted(e.tokens, key=lambda t: -sign * t.contribution)
        alone = clf.predict_proba([deleted(text, [t]) for t in e.tokens])
        by_occlusion = [e.tokens[i] for i in np.argsort(-toward_other_class(e.score, alone, positive), kind="stable")]
        shuffled = [e.tokens[i] for i in rng.permutation(len(e.tokens))]
        rankings = {"explanation": by_contribution, "occlusion": by_occlusion, "random": shuffled}
        for name, ranked in rankings.items():
            edited = [deleted(text, ranked[:k]) for k in KS]
            after = clf.predict_proba(edited)
            for k, value in zip(KS, toward_other_class(e.score, after, positive)):
                moves[name][k].append(float(value))
    return {name: {k: float(np.mean(v)) for k, v in by_k.items()} for name, by_k in moves.items()}


def timing(clf, texts: list[str], rounds: int = 5) -> tuple[float, float]:
    """Median explain / predict time per review (µs) over ``texts``, interleaved."""
    explain_t, predict_t = [], []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            clf.predict(text)
            middle = time.perf_counter()
            clf.explain(text)
            explain_t.append(time.perf_counter() - middle)
            predict_t.append(middle - start)
    return statistics.median(explain_t) * 1e6, statistics.median(predict_t) * 1e6


def invariants(clf, texts: list[str]) -> tuple[float, float]:
    worst_sum = worst_sigmoid = 0.0
    for text in texts:
        e = clf.explain(text)
        worst_sum = max(worst_sum, abs(e.base + sum(t.contribution for t in e.tokens) - e.logit))
        worst_sigmoid = max(worst_sigmoid, abs(1 / (1 + math.exp(-e.logit)) - e.score))
    return worst_sum, worst_sigmoid


#: Text without spaces: Chinese with full-width punctuation (one whitespace-free piece).
UNSPACED = "这部电影非常好看，我很喜欢。"


def unspaced_scaling(clf, lengths=(1_000, 10_000, 100_000, 1_000_000)) -> None:
    """explain and predict on one text without spaces, from 1k to 1M characters: both should grow linearly."""
    print("\ntext without spaces (Chinese, full-width punctuation), one call each:")
    print("| characters | explain s | predict s | explain s per 1k characters |")
    print("|---|---|---|---|")
    for length in lengths:
        text = (UNSPACED * (length // len(UNSPACED) + 1))[:length]
        started = time.perf_counter()
        clf.explain(text)
        explain_s = time.perf_counter() - started
        started = time.perf_counter()
        clf.predict(text)
        predict_s = time.perf_counter() - started
        print(f"| {length:,} | {explain_s:.3f} | {predict_s:.4f} | {1000 * explain_s / length:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviews", type=int, default=500, help="sampled test reviews for the deletion curve")
    parser.add_argument("--all", action="store_true", help="check the invariants on every test review")
    parser.add_argument("--unspaced-only", action="store_true", help="only time explain on text without spaces (1k-1M characters)")
    args = parser.parse_args()
    if args.unspaced_only:
        unspaced_scaling(SentimentClassifier.load(args.model))
        return
    from edge_sentiment_export.data import load_imdb

    test = load_imdb(args.data, splits=("test",)).test.texts
    sample = [test[i] for i in np.random.default_rng(1234).choice(len(test), args.reviews, replace=False)]
    clf = SentimentClassifier.load(args.model)
    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.2f}; model {clf.bundle.path}")

    curve = deletion_curve(clf, sample)
    print(f"\ndeletion curve, {len(sample)} test reviews: mean score move toward the other class")
    print("| K | explanation | occlusion (leave-one-out) | random | explanation / random |")
    print("|---|---|---|---|---|")
    for k in KS:
        e, o, r = curve["explanation"][k], curve["occlusion"][k], curve["random"][k]
        print(f"| {k} | {e:.4f} | {o:.4f} | {r:.4f} | {e / r if r > 0 else float('inf'):.1f}x |")

    lengths = np.array([len(t.split()) for t in sample])
    median_length = np.median(lengths)
    near_median = [t for t, n in zip(sample, lengths) if abs(n - median_length) <= 0.1 * median_length][:50]
    explain_us, predict_us = timing(clf, near_median)
    print(f"\ntiming, {len(near_median)} reviews of median length (~{median_length:.0f} words), one per call: "
          f"explain median {explain_us:.0f} µs, predict median {predict_us:.0f} µs: {explain_us / predict_us:.1f}x")
    explain_us, predict_us = timing(clf, sample[:200], rounds=1)
    print(f"timing, 200 sampled reviews: explain median {explain_us:.0f} µs, predict {predict_us:.0f} µs: "
          f"{explain_us / predict_us:.1f}x")

    checked = test if args.all else sample
    worst_sum, worst_sigmoid = invariants(clf, checked)
    print(f"\ninvariants on {len(checked):,} test reviews: max |base + sum - logit| {worst_sum:.2e}, "
          f"max |sigmoid(logit) - score| {worst_sigmoid:.2e}")
    unspaced_scaling(clf)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
