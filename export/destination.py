"""Where a bundle goes: refuse to clobber, and swap a finished bundle into place.

Free of TensorFlow, so the CLI can check ``--out`` before it reads the data and
imports TensorFlow, instead of after.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from edge_sentiment.errors import EdgeSentimentError


class ExportError(EdgeSentimentError):
    """The export could not produce a bundle that passes its checks."""


def check_destination(out: Path, overwrite: bool) -> None:
    """Raise :class:`ExportError` unless ``out`` is missing, empty, or may be overwritten."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; --out needs a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ExportError(f"{out} is not empty; pick a new --out or pass --overwrite to replace it")


def replace_with(out: Path, staging: Path) -> None:
    """Move the finished bundle into place; an old bundle at ``out`` is removed only now."""
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
