"""The spelling yardstick: how much accuracy a bundle loses when words are misspelt.

``python benchmarks/spelling.py TEST.tsv BUNDLE...`` scores TEST.tsv (header: a text column
``sentence``/``text``/``document``, then ``label``) as written, then a copy in which about
:data:`EDIT_SHARE` of the words (runs of letters of at least :data:`MIN_LETTERS`) carry one random
character edit (a deletion, an insertion, a substitution of a letter of the word itself or a
swap of two neighbours: the typos people make), seeded, and prints one JSON line per bundle with
both accuracies and the drop, the mean over ``--seeds`` corrupted copies (the drop of one copy
moves by half a point from seed to seed). Every bundle is scored on the same copies.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from own_data import read_tsv  # noqa: E402

EDIT_SHARE = 0.10
MIN_LETTERS = 3
WORD = re.compile(rf"[^\W\d_]{{{MIN_LETTERS},}}")


def misspell(word: str, rng: random.Random) -> str:
    """``word`` with one random edit."""
    i = rng.randrange(len(word))
    kind = rng.choice(("delete", "insert", "substitute", "swap"))
    if kind == "delete":
        return word[:i] + word[i + 1:]
    if kind == "insert":
        return word[:i] + rng.choice(word) + word[i:]
    if kind == "substitute":
        return word[:i] + rng.choice([c for c in word if c != word[i]] or [word[i]]) + word[i + 1:]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def corrupted(texts: list[str], seed: int = 0) -> tuple[list[str], float]:
    """The texts with about EDIT_SHARE of their words misspelt, and the share actually edited."""
    rng = random.Random(seed)
    words = edited = 0

    def edit(match: re.Match) -> str:
        nonlocal words, edited
        words += 1
        if rng.random() >= EDIT_SHARE:
            return match.group()
        edited += 1
        return misspell(match.group(), rng)

    out = [WORD.sub(edit, text) for text in texts]
    return out, edited / max(words, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("test", type=Path)
    parser.add_argument("bundles", nargs="+")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    from edge_sentiment import TextClassifier

    texts, labels = read_tsv(args.test)
    copies = [corrupted(texts, seed) for seed in range(args.seeds)]
    for bundle in args.bundles:
        with TextClassifier.load(bundle) as classifier:
            clean = _accuracy(classifier, texts, labels)
            noisy = [_accuracy(classifier, typos, labels) for typos, _ in copies]
        mean = sum(noisy) / len(noisy)
        print(json.dumps({"bundle": bundle, "test": str(args.test), "rows": len(texts), "seeds": args.seeds,
                          "words_edited": round(sum(share for _, share in copies) / len(copies), 4),
                          "accuracy": round(clean, 4), "accuracy_with_typos": round(mean, 4),
                          "drop_points": round(100 * (clean - mean), 2),
                          "drop_points_by_seed": [round(100 * (clean - n), 2) for n in noisy]}), flush=True)


def _accuracy(classifier, texts: list[str], labels: list[str]) -> float:
    predicted = [p.label for p in classifier.predict_batch(texts)]
    return sum(p == str(label) for p, label in zip(predicted, labels)) / len(labels)


if __name__ == "__main__":
    main()
