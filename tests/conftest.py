"""Shared fixtures. Tests that need the real IMDB reviews read them from
../shared/data (never from the project) and skip with a reason when absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_TARBALL = REPO.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"
SHIPPED_BUNDLE = REPO / "artifacts" / "default"
#: The seed presets' bundles: in the repository, not in the sdist.
PRESETS_DIR = REPO / "artifacts" / "presets"
PRESET_BUNDLES = sorted(p for p in PRESETS_DIR.glob("*") if (p / "manifest.json").is_file())
needs_presets = pytest.mark.skipif(not PRESET_BUNDLES, reason=f"the seed presets' bundles are not here ({PRESETS_DIR}: "
                                   "the repository has them, the sdist does not)")

POSITIVE_WORDS = ["great", "wonderful", "superb", "loved", "brilliant", "moving"]
NEGATIVE_WORDS = ["awful", "boring", "terrible", "hated", "dull", "waste"]
FILLER = ["the", "film", "a", "plot", "was", "and", "actors", "story", "it", "scenes"]


@pytest.fixture(scope="session")
def real_tarball() -> Path:
    if not REAL_TARBALL.is_file():
        pytest.skip(f"real IMDB data not found at {REAL_TARBALL} (it lives in ../shared/data beside the project)")
    return REAL_TARBALL


@pytest.fixture(scope="session")
def real_test_split(real_tarball):
    from edge_sentiment_export.data import load_imdb

    return load_imdb(real_tarball, splits=("test",)).test


def synthetic_review(rng, label: int, length: int) -> str:
    """A made-up review whose sentiment words follow ``label`` (for tiny training sets)."""
    cue = POSITIVE_WORDS if label else NEGATIVE_WORDS
    words = [rng.choice(cue) if rng.random() < 0.3 else rng.choice(FILLER) for _ in range(length)]
    return " ".join(words).capitalize() + ".<br /><br />The end."


def write_tiny_imdb(root: Path, per_class: int = 40, seed: int = 0) -> Path:
    """An aclImdb folder of synthetic reviews, with unsup/ and .feat noise a loader must skip."""
    import random

    rng = random.Random(seed)
    for split in ("train", "test"):
        for label, folder in ((0, "neg"), (1, "pos")):
            target = root / "aclImdb" / split / folder
            target.mkdir(parents=True)
            for i in range(per_class):
                rating = rng.randint(7, 10) if label else rng.randint(1, 4)
                (target / f"{i}_{rating}.txt").write_text(synthetic_review(rng, label, rng.randint(5, 40)))
        (root / "aclImdb" / split / "labeledBow.feat").write_text("0 0:1\n")
    unsup = root / "aclImdb" / "train" / "unsup"
    unsup.mkdir()
    (unsup / "0_0.txt").write_text("unlabeled review that must not be read")
    return root / "aclImdb"


@pytest.fixture
def tiny_imdb(tmp_path) -> Path:
    return write_tiny_imdb(tmp_path / "data")


@pytest.fixture
def bundle_copy(tmp_path) -> Path:
    """A private copy of the shipped bundle that a test may break."""
    target = tmp_path / "bundle"
    shutil.copytree(SHIPPED_BUNDLE, target)
    return target


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None, timeout: float = 600):
    """Run ``edge-sentiment`` in a fresh process, as a user would."""
    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or shutil.which("edge-sentiment")
    assert exe, "the edge-sentiment console script is not installed"
    return subprocess.run([exe, *args], input=input, capture_output=True, cwd=cwd, timeout=timeout)
