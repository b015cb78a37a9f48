"""Bring a bundle written by an older edge-sentiment to the current format, in place.

    python -m edge_sentiment_export.upgrade BUNDLE_DIR... --data ../shared/data/aclImdb_v1_labeled.tar.gz

The manifest is read through the schema (a version-1 one upgraded by
``edge_sentiment.manifest.upgrade_v1``), every file is checked against its sha256
and its size recorded, and ``conformance.jsonl`` is written from the bundle's own
backends: the edge cases, the short phrases and test reviews of DATA sampled with
the bundle's training seed. The model files are not touched, so scores do not change.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from edge_sentiment.backends import available_backends
from edge_sentiment.bundle import load_bundle
from edge_sentiment.conformance import FILE_KEY, FILE_NAME, case_texts, write_cases
from edge_sentiment.constants import MANIFEST_NAME
from edge_sentiment.manifest import FileEntry

from .data import load_imdb


def upgrade(folder: Path, reviews: list[str]) -> int:
    """Upgrade the bundle at ``folder``; returns the number of conformance cases written."""
    bundle = load_bundle(folder)
    manifest = bundle.manifest
    seed = (manifest.training.config if manifest.training else {}).get("seed", 1234)
    cases = case_texts(reviews, manifest.preprocessing.maxlen, seed=seed)
    write_cases(bundle, cases, folder / FILE_NAME, available_backends(bundle))
    files = {}
    for key, entry in {**manifest.files, FILE_KEY: FileEntry(FILE_NAME, "0" * 64, None)}.items():
        data = (folder / entry.path).read_bytes() if key == FILE_KEY else bundle.read(key)
        files[key] = FileEntry(entry.path, _sha256(data), len(data))
    upgraded = replace(manifest, files=files)
    text = json.dumps(upgraded.to_dict(), indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")
    load_bundle(folder)  # what was written reads back
    return len(cases)


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundles", type=Path, nargs="+")
    parser.add_argument("--data", required=True, help="the aclImdb tarball or folder (its test reviews become cases)")
    args = parser.parse_args(argv)
    reviews = load_imdb(args.data, splits=("test",)).test.texts
    for folder in args.bundles:
        print(f"{folder}: format 2, {upgrade(folder, reviews)} conformance cases")


if __name__ == "__main__":
    sys.exit(main())
