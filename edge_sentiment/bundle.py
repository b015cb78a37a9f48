"""Model bundles: a directory with ``manifest.json`` and the files it lists.

The manifest is the single source of truth (as in piper): the runtime never
guesses a parameter from a file name. A bundle holds::

    manifest.json   format version, labels, preprocessing, model I/O, files + sha256, ...
    vocab.json      {"word": id, ...}, ids from FIRST_WORD_ID by training-set frequency
    model.onnx      the classifier for onnxruntime (default backend)
    model.single.onnx  the same classifier for one unpadded review per call (optional)
    model.tflite    the same classifier for ai-edge-litert (optional backend)
    model.keras     the trained Keras model (used by the training stage and parity tests)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .constants import FIRST_WORD_ID, FORMAT_VERSION, LABELS, MANIFEST_NAME, TOKENIZER_NAME
from .encoding import EncodingConfig
from .errors import BundleError

#: Top-level manifest fields the runtime reads; a manifest without one is refused.
REQUIRED_FIELDS = ("format_version", "labels", "preprocessing", "model", "files")


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
    #: Reviews of at least this many ids (and at most maxlen) can also go, one at
    #: a time and unpadded, to the single-review graph; None: the bundle has none.
    single_review_min_steps: int | None = None
    #: The ``files`` key of that graph (the onnx backend's companion to ``model.onnx``).
    single_review_file: str | None = None


@dataclass(frozen=True)
class Bundle:
    """A loaded, validated bundle. Model files are opened by the backends."""

    path: Path
    manifest: dict[str, Any]
    encoding: EncodingConfig
    vocab: dict[str, int]
    io: ModelIO
    labels: tuple[str, str]

    def file(self, key: str) -> Path:
        """Path of the file listed under ``files[key]``, after checking its sha256."""
        files = self.manifest["files"]
        if key not in files:
            raise BundleError(
                f"bundle {self.path} has no {key!r} file; it lists: {', '.join(sorted(files))}"
            )
        return _verified(self.path, files[key])


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
    """Read and validate the bundle at ``path`` (``None``: the shipped default model)."""
    root = default_bundle_path() if path is None else Path(path)
    manifest = _read_manifest(root)
    encoding = _encoding_config(root, manifest)
    io = _model_io(root, manifest, encoding)
    vocab = _read_vocab(root, manifest, io)
    return Bundle(root, manifest, encoding, vocab, io, tuple(manifest["labels"]))


def _read_manifest(root: Path) -> dict[str, Any]:
    if not root.is_dir():
        raise BundleError(f"model bundle {root} is not a directory; pass the folder that holds {MANIFEST_NAME}")
    manifest_path = root / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{manifest_path} is missing; is {root} a bundle written by 'edge-sentiment export'?") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{manifest_path} is not valid JSON ({exc}); re-export the bundle") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{manifest_path} must hold a JSON object")
    missing = [f for f in REQUIRED_FIELDS if f not in manifest]
    if missing:
        raise BundleError(f"{manifest_path} lacks required field(s): {', '.join(missing)}")
    if manifest["format_version"] != FORMAT_VERSION:
        raise BundleError(
            f"{manifest_path} has format_version {manifest['format_version']!r}; this edge-sentiment reads "
            f"format_version {FORMAT_VERSION}: upgrade edge-sentiment or re-export the bundle"
        )
    labels = manifest["labels"]
    if not (isinstance(labels, list) and len(labels) == 2 and all(isinstance(x, str) and x for x in labels)
            and labels[0] != labels[1]):
        raise BundleError(f"{manifest_path}: labels must be two different names [negative class, positive class] "
                          f"(e.g. {list(LABELS)}), got {labels!r}")
    return manifest


def _encoding_config(root: Path, manifest: dict[str, Any]) -> EncodingConfig:
    pre = manifest["preprocessing"]
    if pre.get("tokenizer") != TOKENIZER_NAME:
        raise BundleError(
            f"{root}: tokenizer {pre.get('tokenizer')!r} is unknown to this edge-sentiment (it has {TOKENIZER_NAME!r})"
        )
    try:
        return EncodingConfig(
            maxlen=pre["maxlen"],
            num_words=pre["num_words"],
            skip_top=pre["skip_top"],
            padding=pre["padding"],
            truncating=pre["truncating"],
            drop_special=pre["drop_special"],
        )
    except KeyError as exc:
        raise BundleError(f"{root / MANIFEST_NAME}: preprocessing lacks {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{root / MANIFEST_NAME}: bad preprocessing: {exc}") from None


def _model_io(root: Path, manifest: dict[str, Any], encoding: EncodingConfig) -> ModelIO:
    model = manifest["model"]
    try:
        io = ModelIO(
            input_name=model["input"]["name"],
            output_name=model["output"]["name"],
            maxlen=model["input"]["shape"][1],
            vocab_size=model["vocab_size"],
            trims_leading_padding=bool(model["input"].get("onnx_trims_leading_padding", False)),
            single_review_min_steps=_single_review_min_steps(model),
            single_review_file=model["single_review"]["file"] if "single_review" in model else None,
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise BundleError(f"{root / MANIFEST_NAME}: 'model' section is incomplete ({exc!r})") from None
    if io.maxlen != encoding.maxlen:
        raise BundleError(f"{root}: model input length {io.maxlen} differs from preprocessing maxlen {encoding.maxlen}")
    if encoding.num_words > io.vocab_size:
        raise BundleError(
            f"{root}: num_words {encoding.num_words} exceeds the model's embedding table ({io.vocab_size} rows)"
        )
    return io


def _single_review_min_steps(model: dict[str, Any]) -> int | None:
    single = model.get("single_review")
    if single is None:
        return None
    min_steps = single["min_steps"]
    if not isinstance(min_steps, int) or min_steps < 1:
        raise TypeError(f"single_review.min_steps must be a positive integer, got {min_steps!r}")
    return min_steps


def _read_vocab(root: Path, manifest: dict[str, Any], io: ModelIO) -> dict[str, int]:
    files = manifest["files"]
    if "vocab" not in files:
        raise BundleError(f"{root / MANIFEST_NAME}: 'files' lacks the 'vocab' entry")
    path = _verified(root, files["vocab"])
    try:
        vocab = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}); re-export the bundle") from None
    if not isinstance(vocab, dict) or not all(isinstance(i, int) for i in vocab.values()):
        raise BundleError(f"{path} must map words to integer ids")
    too_big = [w for w, i in vocab.items() if not FIRST_WORD_ID <= i < io.vocab_size]
    if too_big:
        raise BundleError(
            f"{path}: {len(too_big)} word id(s) fall outside [{FIRST_WORD_ID}, {io.vocab_size}) "
            f"(the model's embedding table), e.g. {too_big[0]!r}; vocabulary and model do not belong together"
        )
    return vocab


def _verified(root: Path, entry: Any) -> Path:
    """Resolve a ``files`` entry inside ``root`` and check it is there and unchanged."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or "sha256" not in entry:
        raise BundleError(f"{root / MANIFEST_NAME}: file entry {entry!r} needs 'path' and 'sha256'")
    path = (root / entry["path"]).resolve()
    if root.resolve() not in path.parents:
        raise BundleError(f"{root / MANIFEST_NAME}: file {entry['path']!r} points outside the bundle")
    if not path.is_file():
        raise BundleError(f"{path} is missing from the bundle; copy the whole bundle directory")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise BundleError(
            f"{path} has sha256 {actual[:12]}…, the manifest says {str(entry['sha256'])[:12]}…: "
            "the file is corrupt or was replaced; re-export or re-copy the bundle"
        )
    return path
