"""The Large Movie Review Dataset (aclImdb), read without TensorFlow.

Accepted sources, all read the same way:

* the upstream ``aclImdb_v1.tar.gz`` (its ``unsup/`` reviews and ``.feat`` files are skipped),
* the labeled-only tarball in ``../shared/data`` (same layout, no ``unsup/``),
* an extracted ``aclImdb`` folder (or its parent).

Reviews are streamed out of the tarball; nothing is extracted to disk. Every
split is returned sorted by (label, file id) so a given source always yields
the same order; shuffle before splitting off validation data (see ``train``).
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from edge_sentiment.bundle import sha256_file
from edge_sentiment.errors import EdgeSentimentError

UPSTREAM_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
UPSTREAM_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
SPLITS = ("train", "test")
#: Folder name -> label (0 negative, 1 positive), as in constants.LABELS.
LABEL_DIRS = {"neg": 0, "pos": 1}
_REVIEW_PATH = re.compile(r"^(?:\./)?aclImdb/(train|test)/(neg|pos)/(\d+)_(\d+)\.txt$")


class DataError(EdgeSentimentError):
    """The dataset cannot be found, read, downloaded or verified."""


@dataclass
class Split:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows) -> Split:
        """The texts and labels at ``rows`` (indices), in that order."""
        return Split([self.texts[i] for i in rows], [self.labels[i] for i in rows])

    def __add__(self, other: Split) -> Split:
        return Split(self.texts + other.texts, self.labels + other.labels)


@dataclass
class ImdbDataset:
    train: Split
    test: Split
    source: str
    #: sha256 of the archive file (None for a folder) and of the parsed reviews
    #: (same for every source holding the same reviews).
    archive_sha256: str | None
    content_sha256: str

    def describe(self) -> dict:
        return {
            "name": "aclImdb v1 (Maas et al., ACL 2011)",
            "source": self.source,
            "sha256": self.archive_sha256,
            "content_sha256": self.content_sha256,
            "train_texts": len(self.train),
            "test_texts": len(self.test),
        }


def load_imdb(source: str | Path, splits: tuple[str, ...] = SPLITS) -> ImdbDataset:
    """Read the labeled reviews of ``splits`` from a tarball or an extracted folder."""
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(
            f"{path} does not exist; pass the aclImdb tarball or folder "
            "(e.g. --data ../shared/data/aclImdb_v1_labeled.tar.gz), or use --download"
        )
    if path.is_dir():
        records, archive_sha = _read_folder(path, splits), None
    else:
        records, archive_sha = _read_tarball(path, splits), sha256_file(path)
    _check_splits(records, splits, path)
    return _dataset(records, str(path), archive_sha)


def _check_splits(records: list[tuple], splits: tuple[str, ...], path: Path) -> None:
    """Refuse, before any training, a source that lacks a requested split or one of its labels."""
    found = {(split, label) for split, label, *_ in records}
    missing = [f"aclImdb/{split}/{folder}" for split in splits for folder, label in LABEL_DIRS.items() if (split, label) not in found]
    if missing:
        raise DataError(
            f"{path} has no reviews in {', '.join(missing)} (*.txt); an aclImdb source needs "
            f"{' and '.join(f'{s}/pos, {s}/neg' for s in splits)}"
        )


def _read_tarball(path: Path, splits: tuple[str, ...]) -> list[tuple]:
    """Stream the labeled reviews out of the archive, refusing it if any member is unsafe.

    Nothing is written to disk, but every member still passes tarfile's ``data``
    filter (no absolute paths, no ``..``, no links leaving the tree, no devices):
    an archive that would be unsafe to extract is not one we trust to read.
    """
    records = []
    try:
        with tarfile.open(path, mode="r:*") as archive:
            for member in archive:
                _check_member(path, member)
                key = _review_key(member.name, splits) if member.isfile() else None
                if key is not None:
                    records.append((*key, archive.extractfile(member).read()))
    except (tarfile.TarError, OSError, EOFError) as exc:
        if isinstance(exc, tarfile.FilterError):
            raise DataError(f"{path} holds an unsafe member ({exc}); refusing the archive") from None
        raise DataError(f"{path} is not a readable tar archive ({exc}); download it again") from None
    return records


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    # The data filter would quietly strip a leading "/" and accept a ".." that
    # stays inside the tree; a dataset archive has no reason for either.
    if member.name.startswith("/") or ".." in member.name.split("/"):
        raise tarfile.FilterError(f"member {member.name!r} has an absolute or '..' path")
    # The destination only anchors the checks; nothing is extracted there.
    tarfile.data_filter(member, str(path.parent / "aclImdb-extract-check"))


def _read_folder(path: Path, splits: tuple[str, ...]) -> list[tuple]:
    root = path if path.name == "aclImdb" else path / "aclImdb"
    if not root.is_dir():
        raise DataError(f"{path} holds no aclImdb/ folder; pass the folder that contains aclImdb/train and aclImdb/test")
    records = []
    for split in splits:
        for label_dir in LABEL_DIRS:
            for file in (root / split / label_dir).glob("*.txt"):
                key = _review_key(file.relative_to(root.parent).as_posix(), splits)
                if key is not None:
                    records.append((*key, file.read_bytes()))
    return records


def _review_key(name: str, splits: tuple[str, ...]) -> tuple | None:
    """(split, label, file id, rating) for a labeled review path, else None (unsup, .feat, ...)."""
    match = _REVIEW_PATH.search(name)
    if match is None or match[1] not in splits:
        return None
    return match[1], LABEL_DIRS[match[2]], int(match[3]), int(match[4])


def _dataset(records: list[tuple], source: str, archive_sha: str | None) -> ImdbDataset:
    records.sort(key=lambda r: r[:3])
    content = hashlib.sha256()
    result = {split: Split() for split in SPLITS}
    for split, label, file_id, rating, raw in records:
        content.update(f"{split}/{label}/{file_id}_{rating}\n".encode())
        content.update(raw)
        result[split].texts.append(_decode(raw, f"{split}/{file_id}_{rating}.txt"))
        result[split].labels.append(label)
    if not records:
        raise DataError(f"{source} contains no aclImdb/{{train,test}}/{{pos,neg}}/*.txt reviews")
    return ImdbDataset(result["train"], result["test"], source, archive_sha, content.hexdigest())


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"review {name} is not UTF-8 ({exc})") from None


def download_imdb(dest_dir: str | Path, url: str = UPSTREAM_URL, sha256: str = UPSTREAM_SHA256) -> Path:
    """Fetch the upstream tarball into ``dest_dir`` (only when a user asks) and verify it."""
    dest = Path(dest_dir).expanduser() / Path(url).name
    if dest.exists() and sha256_file(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataError(f"could not download {url} ({exc}); are you offline? pass --data with a local copy") from None
    actual = sha256_file(partial)
    if actual != sha256:
        partial.unlink()
        raise DataError(f"downloaded {url} has sha256 {actual}, expected {sha256}; not using it")
    partial.replace(dest)
    return dest
