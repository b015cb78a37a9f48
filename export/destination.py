"""Where a bundle goes: refuse to clobber, and swap a finished bundle into place.

Free of TensorFlow, so the CLI can check ``--out`` before it reads the data and
imports TensorFlow, instead of after. Only a previous bundle is ever replaced:
a directory with ``manifest.json`` that holds nothing the bundle did not write,
and only with ``--overwrite``. Replacing takes two renames (the old bundle aside,
the new one in); if the process is killed between them, the old bundle waits in
a hidden folder beside ``--out`` (:func:`interrupted_swaps`), and the next export
to that ``--out`` puts it back first.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from edge_sentiment.bundle import interrupted_swaps, previous_prefix, read_manifest
from edge_sentiment.constants import MANIFEST_NAME
from edge_sentiment.errors import BundleError, EdgeSentimentError

#: Files an export writes beside those its manifest lists.
UNLISTED_BUNDLE_FILES = frozenset({MANIFEST_NAME, "history.json", "training_curves.png", "calibration.png"})


class ExportError(EdgeSentimentError):
    """The export could not produce a bundle that passes its checks."""


def restore_interrupted(out: Path) -> Path | None:
    """Put back the old bundle of an interrupted replacement when ``out`` is missing; returns where it was."""
    stranded = interrupted_swaps(out)
    if os.path.lexists(out) or not stranded:
        return None
    os.rename(stranded[0], out)
    stranded[0].parent.rmdir()
    return stranded[0]


def check_destination(out: Path, overwrite: bool, log=lambda message: None) -> None:
    """Raise :class:`ExportError` unless a bundle can be written at ``out``
    (an absolute path): missing, empty, or a previous bundle with ``overwrite``.
    An old bundle that an interrupted replacement left aside is put back first."""
    restored = restore_interrupted(out)
    if restored is not None:
        log(f"restored {out} from {restored}, where an interrupted export had left it")
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


def replace_with(out: Path, staging: Path, overwrite: bool) -> None:
    """Move the finished bundle into place. Where ``out`` is missing or empty, one rename
    (atomic: a bundle that appears meanwhile is never replaced). Otherwise, only with
    ``overwrite``: the previous bundle is moved aside first and removed once the new one
    is in place. Without ``overwrite``, the new bundle is kept beside ``out`` and the
    :class:`ExportError` says where."""
    try:
        os.rename(staging, out)  # replaces nothing but an empty directory
        return
    except NotADirectoryError:
        raise ExportError(f"{out} became a file while this export ran; it was not replaced") from None
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    if not overwrite:
        beside = _free_name(out)
        os.rename(staging, beside)
        raise ExportError(f"{out} appeared while this export ran (another export?) and was kept; "
                          f"the new bundle is at {beside}")
    if _not_from_a_bundle(out):  # checked at the start; checked again, since minutes have passed
        raise ExportError(f"{out} now holds files that are not part of a bundle; it was not replaced")
    previous = Path(tempfile.mkdtemp(prefix=previous_prefix(out), dir=out.parent))
    os.replace(out, previous / "bundle")
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)


def _free_name(out: Path) -> Path:
    for number in range(1, 10_000):
        candidate = out.with_name(f"{out.name}.new" + (f"-{number}" if number > 1 else ""))
        if not os.path.lexists(candidate):
            return candidate
    raise ExportError(f"no free name beside {out} to keep the new bundle under")
