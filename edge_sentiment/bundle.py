"""Model bundles: a directory with ``manifest.json`` and the files it lists.

The manifest is the single source of truth (as in piper): the runtime never
guesses a parameter from a file name. A bundle holds::

    manifest.json   format version, labels, preprocessing, model I/O, files + sha256, ...
    vocab.json      {"word": id, ...}, ids from FIRST_WORD_ID by training-set frequency
    model.onnx      the classifier for onnxruntime (default backend)
    model.single.onnx  the same classifier for one unpadded text per call (optional)
    model.tflite    the same classifier for ai-edge-litert (optional backend)
    model.keras     the trained Keras model (used by the training stage and parity tests)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .constants import FIRST_WORD_ID, MANIFEST_NAME
from .encoding import EncodingConfig
from .errors import BundleError
from .json_text import parse as parse_json
from .manifest import Manifest, ManifestError

#: The largest manifest.json / vocab.json read (a bundle's are a few MB at most).
MAX_JSON_BYTES = 256 << 20


@dataclass(frozen=True)
class ModelIO:
    """Names and shape of the model's single input and single output."""

    input_name: str
    output_name: str
    maxlen: int
    vocab_size: int  # rows of the embedding table: every id must be below it
    #: The ONNX model also takes the last T columns of pre-padded rows (see
    #: backends.trim_leading_padding); older or "max"-head bundles do not.
    trims_leading_padding: bool = False
    #: Texts of at least this many ids (and at most maxlen) can also go, one at
    #: a time and unpadded, to the single-text graph; None: the bundle has none.
    single_text_min_steps: int | None = None
    #: The ``files`` key of that graph (the onnx backend's companion to ``model.onnx``).
    single_text_file: str | None = None
    #: Columns of the output ``[batch, outputs]``: 1 for binary, else one per label.
    outputs: int = 1
    #: Columns of the input: ``maxlen`` word ids, then the subword slots (if any).
    width: int = 0
    #: The single-text graph's second input (subword ids), in a bundle with subwords.
    single_text_subwords: str | None = None
    #: The ONNX model also takes rows with leading subword pad columns cut (backends.trim_subword_padding).
    trims_subword_padding: bool = False


@dataclass(frozen=True)
class Bundle:
    """A loaded, validated bundle. Model files are opened by the backends."""

    path: Path
    manifest: Manifest
    encoding: EncodingConfig
    vocab: dict[str, int]
    io: ModelIO
    labels: tuple[str, ...]
    #: Whether each backend must re-score the conformance probe at load (edge_sentiment.probe).
    #: False only for a bundle whose cases are being written (the exporter's staging copy).
    probed: bool = True

    @property
    def label_separator(self) -> str:
        """What joined several labels of a row in the training file (``|`` unless it said otherwise):
        how several predicted labels are written in one field."""
        dataset = self.manifest.reports.get("dataset")
        return (dataset.raw.get("label_separator") if dataset is not None else None) or "|"

    def file(self, key: str) -> Path:
        """Path of the file listed under ``files[key]``, after checking its size and sha256."""
        self.read(key)
        return self.location(key)

    def location(self, key: str) -> Path:
        """Where ``files[key]`` is (for messages; not checked: use :meth:`read` for its bytes)."""
        return self.path / self._entry(key).path

    def read(self, key: str) -> bytes:
        """The bytes of ``files[key]``, checked against its sha256 after they are read (so what
        is checked is what is used, even if the file is swapped meanwhile)."""
        return _read_listed(self.path, self._entry(key))

    def _entry(self, key: str):
        entry = self.manifest.files.get(key)
        if entry is None:
            raise BundleError(f"bundle {self.path} has no {key!r} file; it lists: {', '.join(sorted(self.manifest.files))}")
        return entry


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: Where the default bundle sits in a source checkout (installed, it is the
#: package ``edge_sentiment.artifacts``; see pyproject.toml).
_CHECKOUT_BUNDLE = Path(__file__).resolve().parent.parent / "artifacts" / "default"


def default_bundle_path() -> Path:
    """The bundle shipped inside the installed package (``artifacts/default`` in the repo)."""
    try:
        located = resources.files("edge_sentiment.artifacts") / "default"
    except ModuleNotFoundError:
        # Imported from a source checkout (e.g. `python -m edge_sentiment` in the
        # repository root shadows the installed package): use the checkout's copy.
        if (_CHECKOUT_BUNDLE / MANIFEST_NAME).is_file():
            return _CHECKOUT_BUNDLE
        raise BundleError("the default model is not installed; run 'pip install .' or pass --model DIR") from None
    if not isinstance(located, Path):  # e.g. imported from a zip file
        raise BundleError("the default model must be installed as files; reinstall without zipping")
    return located


def load_bundle(path: str | Path | None = None) -> Bundle:
    """Read and validate the bundle at ``path`` (``None``: the shipped default model).
    (:func:`unprobed` makes a copy whose backends skip the load probe, for the exporter.)"""
    root = default_bundle_path() if path is None else Path(path)
    manifest = read_manifest(root)
    model = manifest.model
    io = ModelIO(
        input_name=model.input.name,
        output_name=model.output.name,
        maxlen=manifest.preprocessing.maxlen,
        vocab_size=model.vocab_size,
        trims_leading_padding=model.trims_leading_padding,
        trims_subword_padding=model.trims_subword_padding,
        single_text_min_steps=model.single_text.min_steps if model.single_text else None,
        single_text_file=model.single_text.file if model.single_text else None,
        outputs=manifest.outputs,
        width=manifest.preprocessing.encoding().width,
        single_text_subwords=model.single_text.subwords_input.name
        if model.single_text and model.single_text.subwords_input else None,
    )
    vocab = _read_vocab(root, manifest, io)
    return Bundle(root, manifest, manifest.preprocessing.encoding(), vocab, io, manifest.labels)


def unprobed(bundle: Bundle) -> Bundle:
    """``bundle``, for the training stage while it writes the conformance cases the probe reads."""
    return dataclasses.replace(bundle, probed=False)


def previous_prefix(out: Path) -> str:
    """The name prefix of the hidden folder that holds the old bundle at ``out`` while an export replaces it."""
    return f".{out.name}.previous."


def interrupted_swaps(out: Path) -> list[Path]:
    """Old bundles of ``out`` left aside by an export killed while replacing it, newest first."""
    if not out.parent.is_dir():
        return []
    found = [folder / "bundle" for folder in out.parent.glob(previous_prefix(out) + "*") if (folder / "bundle").is_dir()]
    return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


def read_manifest(root: Path) -> Manifest:
    """The validated manifest of the bundle at ``root`` (a version-1 one upgraded)."""
    if not root.exists() and interrupted_swaps(root.absolute()):
        stranded = interrupted_swaps(root.absolute())[0]
        raise BundleError(f"model bundle {root} is missing: an export was interrupted while replacing it, and the "
                          f"previous bundle is at {stranded}; move it back (mv '{stranded}' '{root}') or export again")
    if not root.is_dir():
        raise BundleError(f"model bundle {root} is not a directory; pass the folder that holds {MANIFEST_NAME}")
    manifest_path = root / MANIFEST_NAME
    if not os.path.lexists(manifest_path):
        raise BundleError(f"{manifest_path} is missing; is {root} a bundle written by 'edge-sentiment export'?")
    raw = _read_json(manifest_path)
    try:
        return Manifest.from_dict(raw)
    except ManifestError as exc:
        raise ManifestError(f"{manifest_path}: {exc}") from None


def _read_json(path: Path):
    data = _read_regular(path, MAX_JSON_BYTES)
    try:
        return parse_json(data.decode("utf-8"))
    except ValueError as exc:  # (UnicodeDecodeError is one)
        raise BundleError(f"{path} is not valid JSON ({exc}); re-export the bundle") from None


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes
    (a FIFO, a device or a directory would block, never end, or fail obscurely)."""
    try:
        with open(path, "rb", opener=_open_nonblocking) as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise BundleError(f"{path} is not a regular file; a bundle holds only regular files")
            if info.st_size > limit:
                raise BundleError(f"{path} holds {info.st_size:,} bytes, more than the {limit:,} expected; re-export the bundle")
            return fh.read(limit + 1)[: limit + 1]
    except IsADirectoryError:
        raise BundleError(f"{path} is a directory, not a file; re-export the bundle") from None
    except PermissionError:
        raise BundleError(f"{path} cannot be read (permission denied); fix its permissions") from None
    except FileNotFoundError:
        raise BundleError(f"{path} is missing from the bundle; copy the whole bundle directory") from None
    except OSError as exc:
        raise BundleError(f"{path} cannot be read ({exc.strerror or exc})") from None


def _open_nonblocking(path, flags):
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    return os.open(path, flags | os.O_NONBLOCK)


def _read_vocab(root: Path, manifest: Manifest, io: ModelIO) -> dict[str, int]:
    if "vocab" not in manifest.files:
        raise BundleError(f"{root / MANIFEST_NAME}: 'files' lacks the 'vocab' entry")
    entry = manifest.files["vocab"]
    path = _inside(root, entry.path)
    data = _read_listed(root, entry, MAX_JSON_BYTES)
    try:
        vocab = parse_json(data.decode("utf-8"))
    except ValueError as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); re-export the bundle") from None
    if not isinstance(vocab, dict) or not all(type(i) is int for i in vocab.values()):
        raise BundleError(f"{path} must map words to integer ids")
    too_big = [w for w, i in vocab.items() if not FIRST_WORD_ID <= i < io.vocab_size]
    if too_big:
        raise BundleError(
            f"{path}: {len(too_big)} word id(s) fall outside [{FIRST_WORD_ID}, {io.vocab_size}) "
            f"(the model's embedding table), e.g. {too_big[0]!r}; vocabulary and model do not belong together"
        )
    return vocab


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        raise BundleError(f"{root / MANIFEST_NAME}: file {relative!r} points outside the bundle")
    return path


def _read_listed(root: Path, entry, limit: int = 1 << 40) -> bytes:
    """The bytes of a ``files`` entry of the bundle at ``root``, checked against its size and sha256."""
    path = _inside(root, entry.path)
    data = _read_regular(path, entry.bytes if entry.bytes is not None else limit)
    _check_digest(path, data, entry.sha256, entry.bytes)
    return data


def _check_digest(path: Path, data: bytes, sha256: str, size: int | None) -> None:
    if size is not None and len(data) != size:
        raise BundleError(f"{path} holds {len(data):,} bytes, the manifest says {size:,}: the file is corrupt or was "
                          "replaced; re-export or re-copy the bundle")
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BundleError(
            f"{path} has sha256 {actual[:12]}…, the manifest says {sha256[:12]}…: "
            "the file is corrupt or was replaced; re-export or re-copy the bundle"
        )
