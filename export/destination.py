"""Where a bundle goes: refuse to clobber, and swap a finished bundle into place.

Free of TensorFlow, so the CLI can check ``--out`` before it reads the data and
imports TensorFlow, instead of after. Only a previous bundle is ever replaced:
a directory with ``manifest.json`` that holds nothing the bundle did not write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from edge_sentiment.bundle import read_manifest
from edge_sentiment.constants import MANIFEST_NAME
from edge_sentiment.errors import BundleError, EdgeSentimentError

#: Files an export writes beside those its manifest lists.
UNLISTED_BUNDLE_FILES = frozenset({MANIFEST_NAME, "history.json", "training_curves.png", "calibration.png"})


class ExportError(EdgeSentimentError):
    """The export could not produce a bundle that passes its checks."""


def check_destination(out: Path, overwrite: bool) -> None:
    """Raise :class:`ExportError` unless a bundle can be written at ``out``
    (an absolute path): missing, empty, or a previous bundle with ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; --out needs a directory")
    if out.is_dir() and any(out.iterdir()):
        foreign = _not_from_a_bundle(out)
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise ExportError(
                f"{out} is not empty and is not a bundle (it holds {shown}); "
                "--out must name a new or empty directory, or a previous bundle to replace with --overwrite"
            )
        if not overwrite:
            raise ExportError(f"{out} holds a bundle; pick a new --out or pass --overwrite to replace it")
    _check_writable(out)


def _not_from_a_bundle(folder: Path) -> list[str]:
    """Names in ``folder`` that a bundle export did not write (all of them if it has no manifest)."""
    names = sorted(p.name for p in folder.iterdir())
    try:
        listed = {entry.path for entry in read_manifest(folder).files.values()}
    except BundleError:  # no manifest, or not one the runtime would read: nothing here is the bundle's
        return names
    return [name for name in names if name not in listed | UNLISTED_BUNDLE_FILES]


def _check_writable(out: Path) -> None:
    """Prove that ``out``'s parent can be created and written, by making a scratch directory there."""
    existing = out.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ExportError(f"cannot create {out}: {existing} is a file")
    try:
        tempfile.TemporaryDirectory(prefix=".edge-sentiment-check-", dir=existing).cleanup()
    except OSError as exc:
        raise ExportError(f"cannot write into {existing} ({exc.strerror}); pick another --out") from None


def replace_with(out: Path, staging: Path) -> None:
    """Move the finished bundle into place. A previous bundle at ``out`` is moved
    aside first and removed only once the new one is in place."""
    if not out.exists():
        staging.rename(out)
        return
    if not any(out.iterdir()):
        out.rmdir()
        staging.rename(out)
        return
    if _not_from_a_bundle(out):  # checked at the start; checked again, since minutes have passed
        raise ExportError(f"{out} now holds files that are not part of a bundle; it was not replaced")
    previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.previous.", dir=out.parent))
    os.replace(out, previous / "bundle")
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)
