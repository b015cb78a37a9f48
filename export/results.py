"""The results table of trained bundles, generated from their manifests (never typed by hand).

    python -m edge_sentiment_export.results artifacts/default artifacts/presets/*

Prints a Markdown table: preset, the seed's reported figure, our IMDB test
accuracy (ONNX, all test texts the bundle was evaluated on), whether that is
within one point of the seed or better, parameters, ONNX size and training time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edge_sentiment.bundle import read_manifest
from edge_sentiment.constants import MANIFEST_NAME

HEADER = "| preset | seed model | seed figure | our test accuracy | within 1 pt or better | params | ONNX MB | train s |"


def row(bundle: Path) -> str:
    manifest = read_manifest(bundle)
    config = manifest.training.config
    test = manifest.metrics.test["onnx"]
    seed = config.get("seed_accuracy")
    figure = f"{config.get('seed_split')} {seed:.3f}" if seed is not None else "—"
    verdict = ("yes" if test.accuracy >= seed - 0.01 else "no") if seed is not None else "—"
    return (
        f"| {config['preset']} | {config.get('seed_model', '')} | {figure} | {test.accuracy:.4f} "
        f"({test.texts:,} texts) | {verdict} | {manifest.model.parameters:,} | "
        f"{manifest.files['onnx'].bytes / 1e6:.2f} | {manifest.report('timings')['train_seconds']:.0f} |"
    )


def table(bundles: list[Path]) -> str:
    lines = [HEADER, "|---" * (HEADER.count("|") - 1) + "|"]
    lines += [row(b) for b in bundles]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    missing = [p for p in paths if not (p / MANIFEST_NAME).is_file()]
    if not paths or missing:
        sys.exit(f"usage: python -m edge_sentiment_export.results BUNDLE_DIR...  (no manifest in: {', '.join(map(str, missing)) or 'none given'})")
    print(table(paths))


if __name__ == "__main__":
    main()
