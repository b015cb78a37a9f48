"""The bundle manifest, typed: one schema that the exporter writes and every reader reads.

``manifest.json`` (format 2) is a JSON object with these records (docs/bundle-format.md
describes every field):

* :class:`Preprocessing` - tokenizer, id layout, ``maxlen``, ``num_words``, ``skip_top``,
  padding and truncation modes;
* :class:`ModelRecord` - the model's input and output tensors, vocabulary size and
  architecture (with :class:`SingleText`, the one-text graph, where there is one);
* :class:`FileEntry` per file key - path inside the bundle, sha256, size in bytes;
* reports, optional: :class:`TrainingReport`, :class:`DatasetReport`, :class:`MetricsReport`
  (with :class:`BackendMetrics` per backend) and :class:`CalibrationReport` type the fields
  tools read and keep the whole object as written; ``quantization``, ``timings`` and
  ``versions`` are plain JSON objects.

:meth:`Manifest.from_dict` validates types and ranges and raises :class:`ManifestError`
naming the field; version-1 manifests (every shape the repository wrote) are
upgraded first by :func:`upgrade_v1`. Nothing else reads the raw dictionary.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, TypeGuard

from .constants import FIRST_WORD_ID, LABELS, OOV_ID, PAD_ID, PADDING_MODES, START_ID, TOKENIZERS
from .encoding import EncodingConfig
from .subwords import BEGIN_MARK, END_MARK, HASH_NAME, SubwordConfig
from .errors import BundleError
from .tasks import TASKS, output_width

FORMAT_VERSION = 3
#: Versions :meth:`Manifest.from_dict` reads (older ones through an upgrader).
READABLE_VERSIONS = (1, 2, 3)
#: The most labels a bundle may have (a lying manifest must not size the output without limit).
MAX_LABELS = 10_000
ARCHITECTURES = ("rnn", "multi_hot_dense")
HEADS = ("last", "max", "mean", "mean_with_bag")
INPUT_ENCODINGS = ("embedding", "one_hot")
ONNX_GRAPHS = ("lean", "fused", "as-converted")
RECURRENT_OPS = ("RNN", "Loop", "unrolled")
#: The id layout every bundle must have (constants.py); checked at load.
ID_LAYOUT = {"pad_id": PAD_ID, "start_id": START_ID, "oov_id": OOV_ID, "first_word_id": FIRST_WORD_ID}
#: Upper bounds that keep a lying manifest from allocating without limit.
MAX_MAXLEN = 100_000
MAX_VOCAB = 10_000_000
#: File keys only the training stage reads (parity tests, re-training): the installed package
#: leaves them out, and `verify` checks them only where they are present.
TRAINING_ONLY_FILES = ("keras",)
#: The files a bundle may list: ``files`` key -> file name (docs/bundle-format.md, "Files").
FILE_NAMES = {
    "vocab": "vocab.json",
    "onnx": "model.onnx",
    "onnx_single": "model.single.onnx",
    "onnx_int8": "model.int8.onnx",
    "tflite": "model.tflite",
    "numpy": "weights.npz",
    "keras": "model.keras",
    "conformance": "conformance.jsonl",
}
#: Backend name -> the ``files`` key of the model it runs.
BACKEND_FILES = {"onnx": "onnx", "tflite": "tflite", "numpy": "numpy", "onnx-int8": "onnx_int8"}
REPORTS = ("training", "dataset", "metrics", "calibration", "quantization", "timings", "versions")


class ManifestError(BundleError):
    """The manifest's content is missing, mistyped or out of range."""


@dataclass(frozen=True)
class Preprocessing:
    tokenizer: str
    maxlen: int
    num_words: int
    skip_top: int
    padding: str
    truncating: str
    drop_special: bool
    subwords: SubwordConfig | None = None
    pad_id: int = PAD_ID
    start_id: int = START_ID
    oov_id: int = OOV_ID
    first_word_id: int = FIRST_WORD_ID

    @classmethod
    def from_dict(cls, raw: Any) -> Preprocessing:
        d = _object(raw, "preprocessing")
        record = cls(
            tokenizer=_choice(d, "tokenizer", TOKENIZERS, "preprocessing"),
            maxlen=_int(d, "maxlen", "preprocessing", 1, MAX_MAXLEN),
            num_words=_int(d, "num_words", "preprocessing", FIRST_WORD_ID + 1, MAX_VOCAB),
            skip_top=_int(d, "skip_top", "preprocessing", 0, MAX_VOCAB),
            padding=_choice(d, "padding", PADDING_MODES, "preprocessing"),
            truncating=_choice(d, "truncating", PADDING_MODES, "preprocessing"),
            drop_special=_bool(d, "drop_special", "preprocessing"),
            subwords=_subwords(d.get("subwords")),
            **{name: _int(d, name, "preprocessing", 0, MAX_VOCAB) for name in ID_LAYOUT},
        )
        layout = {name: getattr(record, name) for name in ID_LAYOUT}
        if layout != ID_LAYOUT:
            raise ManifestError(f"preprocessing: the id layout {layout} is not the one this runtime encodes with {ID_LAYOUT}")
        if record.skip_top >= record.num_words:
            raise ManifestError(f"preprocessing.skip_top ({record.skip_top}) must be below num_words ({record.num_words})")
        if record.subwords is not None and record.drop_special:
            raise ManifestError("preprocessing: subwords need drop_special false")
        return record

    def encoding(self) -> EncodingConfig:
        return EncodingConfig(maxlen=self.maxlen, num_words=self.num_words, skip_top=self.skip_top,
                              padding=self.padding, truncating=self.truncating, drop_special=self.drop_special,
                              subwords=self.subwords, tokenizer=self.tokenizer)


def _subwords(raw: Any) -> SubwordConfig | None:
    """``preprocessing.subwords`` (absent or null: the bundle has no subword features)."""
    if raw is None:
        return None
    where = "preprocessing.subwords"
    d = _object(raw, where)
    _choice(d, "hash", (HASH_NAME,), where)
    if d.get("marks") != [BEGIN_MARK, END_MARK]:
        raise ManifestError(f"{where}.marks must be {[BEGIN_MARK, END_MARK]}, got {_show(d.get('marks'))}")
    try:
        return SubwordConfig(min_n=_int(d, "min_n", where, 1, 8), max_n=_int(d, "max_n", where, 1, 8),
                             buckets=_int(d, "buckets", where, 1, 1 << 22), slots=_int(d, "slots", where, 1, MAX_MAXLEN))
    except ValueError as exc:
        raise ManifestError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str
    shape: list
    meaning: str | None = None

    @classmethod
    def from_dict(cls, raw: Any, where: str, dtype: str, shape: list) -> TensorSpec:
        d = _object(raw, where)
        name, dtype = _str(d, "name", where), _choice(d, "dtype", (dtype,), where)
        if d.get("shape") != shape:
            raise ManifestError(f"{where}.shape must be {shape}, got {_show(d.get('shape'))}")
        return cls(name=name, dtype=dtype, shape=shape, meaning=_optional_str(d, "meaning", where))

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class SingleText:
    """``model.single.onnx``: one text's ids, unpadded, ``min_steps`` to ``max_steps`` of them
    (and, in a bundle with subwords, its subword ids, unpadded, as a second input)."""

    file: str  # the files key
    input: TensorSpec
    min_steps: int
    max_steps: int
    subwords_input: TensorSpec | None = None

    @classmethod
    def from_dict(cls, raw: Any, maxlen: int, subwords: bool = False) -> SingleText:
        where = "model.single_text"
        d = _object(raw, where)
        record = cls(file=_str(d, "file", where), input=TensorSpec.from_dict(d.get("input"), f"{where}.input", "int32", ["steps"]),
                     min_steps=_int(d, "min_steps", where, 1, maxlen), max_steps=_int(d, "max_steps", where, 1, maxlen),
                     subwords_input=TensorSpec.from_dict(d.get("subwords_input"), f"{where}.subwords_input", "int32", ["count"])
                     if subwords else None)
        if record.max_steps != maxlen or record.min_steps > record.max_steps:
            raise ManifestError(f"{where}: steps must run from min_steps to maxlen ({maxlen}), got "
                                f"{record.min_steps}..{record.max_steps}")
        return record

    def to_dict(self) -> dict:
        out = {"file": self.file, "input": self.input.to_dict(), "min_steps": self.min_steps, "max_steps": self.max_steps}
        if self.subwords_input is not None:
            out["subwords_input"] = self.subwords_input.to_dict()
        return out


@dataclass(frozen=True)
class ModelRecord:
    """What every backend needs: tensors, vocabulary size, and the architecture the NumPy
    backend rebuilds (rnn fields are None for ``multi_hot_dense``, ``dense_units`` for ``rnn``)."""

    input: TensorSpec
    output: TensorSpec
    trims_leading_padding: bool
    vocab_size: int
    architecture: str
    parameters: int | None = None
    dense_units: tuple[int, ...] | None = None
    input_encoding: str | None = None
    embedding_dim: int | None = None
    rnn_units: int | None = None
    rnn_window: int | None = None
    head: str | None = None
    pair_buckets: int | None = None
    pair_dim: int | None = None
    bag_prior: float | None = None
    onnx_recurrent_op: str | None = None
    onnx_graph: str | None = None
    onnx_opset: int | None = None
    single_text: SingleText | None = None
    layers: tuple[str, ...] = ()
    #: Width of the subword vectors averaged in the bag (0: the model has no subword bag).
    subword_dim: int = 0
    #: Width of the RNN's own word vectors (0: the RNN reads the bag's word vectors).
    rnn_embedding_dim: int = 0
    #: Each bag divides its sum by max(count + bag_prior, 1) ** bag_power (1: a mean).
    bag_power: float = 1.0
    #: Columns of the input that hold word ids (``maxlen``; subword ids follow them).
    word_columns: int = 0
    #: model.onnx also takes rows whose leading subword columns that are padding in every row are cut.
    trims_subword_padding: bool = False

    @classmethod
    def from_dict(cls, raw: Any, maxlen: int, outputs: int = 1, width: int | None = None) -> ModelRecord:
        """``width``: the input's columns (``maxlen``, plus the subword slots if any)."""
        d = _object(raw, "model")
        input_d = _object(d.get("input"), "model.input")
        common: dict[str, Any] = dict(
            input=TensorSpec.from_dict(input_d, "model.input", "int32", [None, width or maxlen]),
            word_columns=maxlen,
            output=TensorSpec.from_dict(d.get("output"), "model.output", "float32", [None, outputs]),
            trims_leading_padding=_bool(input_d, "onnx_trims_leading_padding", "model.input"),
            trims_subword_padding=_bool(input_d, "onnx_trims_subword_padding", "model.input")
            if "onnx_trims_subword_padding" in input_d else False,
            vocab_size=_int(d, "vocab_size", "model", FIRST_WORD_ID + 1, MAX_VOCAB),
            architecture=_choice(d, "architecture", ARCHITECTURES, "model"),
            parameters=_optional_int(d, "parameters", "model"),
            onnx_opset=_optional_int(d, "onnx_opset", "model"),
            layers=tuple(_str_list(d, "layers", "model")),
            single_text=SingleText.from_dict(d["single_text"], maxlen, (width or maxlen) > maxlen)
            if d.get("single_text") is not None else None,
        )
        if common["architecture"] == "multi_hot_dense":
            units = d.get("dense_units")
            if not isinstance(units, list) or not units or not all(_is_int(u) and 1 <= u <= 1_000_000 for u in units):
                raise ManifestError(f"model.dense_units must be a non-empty list of positive integers, got {_show(units)}")
            return cls(**common, dense_units=tuple(units))
        record = cls(
            **common,
            input_encoding=_choice(d, "input_encoding", INPUT_ENCODINGS, "model"),
            embedding_dim=_int(d, "embedding_dim", "model", 1, MAX_VOCAB),
            rnn_units=_int(d, "rnn_units", "model", 1, 100_000),
            rnn_window=_int(d, "rnn_window", "model", 0, maxlen),
            head=_choice(d, "head", HEADS, "model"),
            pair_buckets=_int(d, "pair_buckets", "model", 0, MAX_VOCAB),
            pair_dim=_int(d, "pair_dim", "model", 1, 100_000),
            bag_prior=_number(d, "bag_prior", "model", 0.0, 1e9),
            onnx_recurrent_op=_choice(d, "onnx_recurrent_op", RECURRENT_OPS, "model"),
            onnx_graph=_choice(d, "onnx_graph", ONNX_GRAPHS, "model"),
            subword_dim=_int(d, "subword_dim", "model", 0, 100_000) if "subword_dim" in d else 0,
            rnn_embedding_dim=_int(d, "rnn_embedding_dim", "model", 0, 100_000) if "rnn_embedding_dim" in d else 0,
            bag_power=_number(d, "bag_power", "model", 0.0, 1.0) if "bag_power" in d else 1.0,
        )
        if record.bag_power == 0.0:
            raise ManifestError("model.bag_power must be above 0 (1: each bag is a mean), got 0")
        if bool(record.subword_dim) != ((width or maxlen) > maxlen):
            raise ManifestError("model.subword_dim and preprocessing.subwords go together: both or neither")
        if record.subword_dim and record.head != "mean_with_bag":
            raise ManifestError(f"model: subword_dim needs head 'mean_with_bag', not {record.head!r}")
        if record.rnn_embedding_dim and record.input_encoding != "embedding":
            raise ManifestError(f"model: rnn_embedding_dim needs input_encoding 'embedding', not {record.input_encoding!r}")
        if record.pair_buckets == 1:
            raise ManifestError("model.pair_buckets must be 0 (no pairs) or at least 2, got 1")
        if (record.pair_buckets or record.bag_prior or record.bag_power != 1.0) and record.head != "mean_with_bag":
            raise ManifestError(f"model: pair_buckets, bag_prior and bag_power need head 'mean_with_bag', not {record.head!r}")
        return record

    def to_dict(self) -> dict:
        out = {
            "input": {**self.input.to_dict(), "onnx_trims_leading_padding": self.trims_leading_padding,
                      **({"onnx_trims_subword_padding": True} if self.trims_subword_padding else {})},
            "output": self.output.to_dict(),
            "vocab_size": self.vocab_size,
            "architecture": self.architecture,
        }
        for name in ("parameters", "input_encoding", "embedding_dim", "rnn_units", "rnn_window", "head", "pair_buckets",
                     "pair_dim", "bag_prior", "onnx_recurrent_op", "onnx_graph", "onnx_opset"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.subword_dim:
            out["subword_dim"] = self.subword_dim
        if self.rnn_embedding_dim:
            out["rnn_embedding_dim"] = self.rnn_embedding_dim
        if self.bag_power != 1.0:
            out["bag_power"] = self.bag_power
        if self.dense_units is not None:
            out["dense_units"] = list(self.dense_units)
        if self.single_text is not None:
            out["single_text"] = self.single_text.to_dict()
        out["layers"] = list(self.layers)
        return out

    @property
    def rnn_steps(self) -> int | None:
        """How many of the last steps the RNN reads (None without an RNN)."""
        return None if self.architecture != "rnn" else (self.rnn_window or self.word_columns)


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    bytes: int | None  # None only in version-1 manifests that did not record it

    @classmethod
    def from_dict(cls, raw: Any, key: str) -> FileEntry:
        where = f"files.{key}"
        d = _object(raw, where)
        sha = _str(d, "sha256", where)
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ManifestError(f"{where}.sha256 must be 64 lowercase hex digits, got {_show(sha)}")
        size = None if d.get("bytes") is None else _int(d, "bytes", where, 0, 1 << 40)
        return cls(path=_relative_path(_str(d, "path", where), where), sha256=sha, bytes=size)


def _relative_path(path: str, where: str) -> str:
    """A listed file's path: relative, "/"-separated plain names (no "..", "." or empty ones), no
    backslash, scheme, query or fragment, so that every runtime resolves it inside the bundle."""
    parts = path.split("/")
    if path.startswith("/") or any(c in path for c in "\\:?#") or any(p in ("", ".", "..") for p in parts):
        raise ManifestError(f"{where}.path {_show(path)} points outside the bundle; a bundle lists files inside its folder")
    return path


@dataclass(frozen=True)
class TrainingReport:
    """How the model was trained. ``config`` is the training configuration as written (its
    fields belong to the training stage, export/config.py)."""

    config: dict
    command: str | None
    best_epoch: int | None
    epochs_run: int | None
    train_texts: int | None
    validation_texts: int | None
    #: Settings chosen from the training data (``--train``), by name: rule and figures.
    fitted_to_data: dict
    raw: dict

    @classmethod
    def from_dict(cls, raw: Any) -> TrainingReport:
        d = _object(raw, "training")
        return cls(config=_object(d.get("config", {}), "training.config"), command=_optional_str(d, "command", "training"),
                   best_epoch=_optional_int(d, "best_epoch", "training"), epochs_run=_optional_int(d, "epochs_run", "training"),
                   train_texts=_optional_int(d, "train_texts", "training"),
                   validation_texts=_optional_int(d, "validation_texts", "training"),
                   fitted_to_data=_object(d.get("fitted_to_data", {}), "training.fitted_to_data"), raw=d)


@dataclass(frozen=True)
class DatasetReport:
    """The data the model was trained and tested on."""

    name: str | None
    source: str | None
    train_texts: int | None
    test_texts: int | None
    raw: dict

    @classmethod
    def from_dict(cls, raw: Any) -> DatasetReport:
        d = _object(raw, "dataset")
        return cls(name=_optional_str(d, "name", "dataset"), source=_optional_str(d, "source", "dataset"),
                   train_texts=_optional_int(d, "train_texts", "dataset"),
                   test_texts=_optional_int(d, "test_texts", "dataset"), raw=d)


@dataclass(frozen=True)
class BackendMetrics:
    """One backend's figures on the test set."""

    texts: int
    accuracy: float

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> BackendMetrics:
        d = _object(raw, where)
        return cls(texts=_int(d, "texts", where, 0, 1 << 40), accuracy=_number(d, "accuracy", where, 0.0, 1.0))


@dataclass(frozen=True)
class MetricsReport:
    """Test-set metrics per backend (``test``: the exported model on test rows it never saw), or,
    when the model was refit on the test rows too, ``held_out``: the figures of the model trained
    before the refit, on those rows; parity with Keras and the other figures as written."""

    test: dict[str, BackendMetrics]
    raw: dict
    held_out: BackendMetrics | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> MetricsReport:
        d = _object(raw, "metrics")
        test = _object(d.get("test", {}), "metrics.test")
        held_out = BackendMetrics.from_dict(d["held_out"], "metrics.held_out") if "held_out" in d else None
        return cls(test={name: BackendMetrics.from_dict(v, f"metrics.test.{name}") for name, v in test.items()}, raw=d,
                   held_out=held_out)


@dataclass(frozen=True)
class CalibrationReport:
    """How the scores were calibrated (already folded into the model: the runtime applies nothing)."""

    method: str
    parameters: dict[str, float]
    raw: dict

    @classmethod
    def from_dict(cls, raw: Any) -> CalibrationReport:
        d = _object(raw, "calibration")
        parameters = _object(d.get("parameters", {}), "calibration.parameters")
        return cls(method=_str(d, "method", "calibration"),
                   parameters={k: _number(parameters, k, "calibration.parameters", -1e9, 1e9) for k in parameters}, raw=d)


#: Typed reports, by their manifest key.
TYPED_REPORTS: dict[str, Any] = {"training": TrainingReport, "dataset": DatasetReport, "metrics": MetricsReport,
                 "calibration": CalibrationReport}


@dataclass(frozen=True)
class Manifest:
    labels: tuple[str, ...]
    preprocessing: Preprocessing
    model: ModelRecord
    files: dict[str, FileEntry]
    #: One of :data:`~edge_sentiment.tasks.TASKS` (format 2 bundles are "binary").
    task: str = "binary"
    #: Multilabel only: each label's decision threshold on its score, in label order.
    thresholds: tuple[float, ...] | None = None
    #: Multilabel only: the fewest labels a text gets (1: its top label when none reaches its threshold).
    min_labels: int = 0
    name: str | None = None
    created: str | None = None
    #: Reports by name (absent ones left out): typed records for TYPED_REPORTS, JSON objects for the rest.
    reports: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    #: The version the file was written in (1 for an upgraded manifest).
    read_from_version: int = FORMAT_VERSION

    @classmethod
    def from_dict(cls, raw: Any) -> Manifest:
        d = _object(raw, "the manifest")
        if "format_version" not in d:
            raise ManifestError("the manifest lacks required field(s): format_version")
        version = d.get("format_version")
        if not _is_int(version) or version not in READABLE_VERSIONS:
            raise ManifestError(f"format_version {_show(version)} is unknown; this edge-sentiment reads format_version "
                                f"{', '.join(map(str, READABLE_VERSIONS))}: upgrade edge-sentiment or re-export the bundle")
        if version == 1:
            d = upgrade_v1(d)
        if version in (1, 2):
            d = upgrade_v2(d)
        missing = [k for k in ("labels", "task", "preprocessing", "model", "files") if k not in d]
        if missing:
            raise ManifestError(f"the manifest lacks required field(s): {', '.join(missing)}")
        task = _choice(d, "task", TASKS, "the manifest")
        labels = _labels(d.get("labels"), task)
        preprocessing = Preprocessing.from_dict(d["preprocessing"])
        model = ModelRecord.from_dict(d["model"], preprocessing.maxlen, output_width(task, len(labels)),
                                      preprocessing.encoding().width)
        thresholds = _thresholds(d.get("thresholds"), task, len(labels))
        min_labels = _min_labels(d.get("min_labels"), task)
        if preprocessing.num_words > model.vocab_size:
            raise ManifestError(f"preprocessing.num_words {preprocessing.num_words} exceeds the model's embedding "
                                f"table (model.vocab_size {model.vocab_size} rows)")
        files = {key: FileEntry.from_dict(entry, key) for key, entry in _object(d["files"], "files").items()}
        if model.single_text is not None and model.single_text.file not in files:
            raise ManifestError(f"model.single_text.file {model.single_text.file!r} is not a key of files")
        reports = {}
        for name in REPORTS:
            if d.get(name) is not None:
                reports[name] = TYPED_REPORTS[name].from_dict(d[name]) if name in TYPED_REPORTS else _object(d[name], name)
        return cls(labels=labels, task=task, thresholds=thresholds, min_labels=min_labels, preprocessing=preprocessing,
                   model=model, files=files, name=_optional_str(d, "name", "the manifest"), created=_optional_str(d, "created", "the manifest"),
                   reports=reports, read_from_version=version)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"format_version": self.format_version}
        for name in ("name", "created"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out.update({
            "labels": list(self.labels),
            "task": self.task,
            **({"thresholds": list(self.thresholds)} if self.thresholds is not None else {}),
            **({"min_labels": self.min_labels} if self.min_labels else {}),
            "preprocessing": {"tokenizer": self.preprocessing.tokenizer,
                              **{name: getattr(self.preprocessing, name) for name in ID_LAYOUT},
                              **self.preprocessing.encoding().to_dict()},
            "model": self.model.to_dict(),
            "files": {key: asdict(entry) for key, entry in self.files.items()},
        })
        out.update({name: self.report(name) for name in REPORTS if name in self.reports})
        return out

    @property
    def outputs(self) -> int:
        """Columns of the model's output (1 for binary, else one per label)."""
        return output_width(self.task, len(self.labels))

    def report(self, name: str) -> dict:
        """The report ``name`` (of :data:`REPORTS`) as written, or an empty dict when the bundle has none."""
        value = self.reports.get(name, {})
        return value.raw if name in TYPED_REPORTS else value

    @property
    def training(self) -> TrainingReport | None:
        return self.reports.get("training")

    @property
    def dataset(self) -> DatasetReport | None:
        return self.reports.get("dataset")

    @property
    def metrics(self) -> MetricsReport | None:
        return self.reports.get("metrics")

    @property
    def calibration(self) -> CalibrationReport | None:
        return self.reports.get("calibration")


#: Format 3's names for what formats 1 and 2 called after movie reviews.
RENAMED_IN_V3 = {"single_review": "single_text", "reviews": "texts", "train_reviews": "train_texts",
                 "validation_reviews": "validation_texts", "test_reviews": "test_texts"}


def upgrade_v2(d: dict) -> dict:
    """A version-2 manifest in the version-3 shape: two labels, the task binary (format 3 added
    the task and N labels), and the fields named for texts rather than reviews (:data:`RENAMED_IN_V3`);
    nothing else changed, so scores are identical."""
    renamed = {key: _renamed(d[key]) for key in ("model", "training", "dataset", "metrics") if key in d}
    return {**d, **renamed, "format_version": FORMAT_VERSION, "task": "binary"}


def _renamed(value: Any) -> Any:
    """``value`` with every object key of :data:`RENAMED_IN_V3` renamed, at any depth."""
    if isinstance(value, dict):
        return {RENAMED_IN_V3.get(key, key): _renamed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item) for item in value]
    return value


def upgrade_v1(d: dict) -> dict:
    """A version-1 manifest in the version-2 shape. Version 1 grew fields over time; a field
    its writer did not have yet meant what the runtime assumed then (the defaults below)."""
    model = dict(_object(d.get("model"), "model"))
    model.setdefault("architecture", "rnn")
    if model["architecture"] == "rnn":
        model.setdefault("input_encoding", "embedding")
        model.setdefault("head", "last")
        model.setdefault("rnn_window", 0)
        model.setdefault("pair_buckets", 0)
        model.setdefault("pair_dim", 2)
        model.setdefault("bag_prior", 0.0)
        model.setdefault("onnx_recurrent_op", "Loop")
        model.setdefault("onnx_graph", "fused" if model["onnx_recurrent_op"] == "RNN" else "as-converted")
    model_input = dict(_object(model.get("input"), "model.input"))
    model_input.setdefault("onnx_trims_leading_padding", False)
    model["input"] = model_input
    files = {key: {**entry, "bytes": entry.get("bytes")} if isinstance(entry, dict) else entry
             for key, entry in _object(d.get("files"), "files").items()}
    preprocessing = d.get("preprocessing")
    if isinstance(preprocessing, dict):
        preprocessing = {**ID_LAYOUT, **preprocessing}
    return {**d, "format_version": FORMAT_VERSION, "model": model, "files": files, "preprocessing": preprocessing}


# -- field readers: each names the field and what it must be ---------------------------

def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ManifestError(f"{where} must be a JSON object, got {_kind(value)}")
    return value


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(d: dict, key: str, where: str, low: int, high: int) -> int:
    value = d.get(key)
    if not _is_int(value) or not low <= value <= high:
        raise ManifestError(f"{where}.{key} must be an integer from {low} to {high}, got {_show(value)}")
    return value


def _optional_int(d: dict, key: str, where: str) -> int | None:
    return None if d.get(key) is None else _int(d, key, where, 0, 1 << 62)


def _number(d: dict, key: str, where: str, low: float, high: float) -> float:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ManifestError(f"{where}.{key} must be a number from {low:g} to {high:g}, got {_show(value)}")
    return float(value)


def _bool(d: dict, key: str, where: str) -> bool:
    value = d.get(key)
    if not isinstance(value, bool):
        raise ManifestError(f"{where}.{key} must be true or false, got {_show(value)}")
    return value


def _str(d: dict, key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise ManifestError(f"{where}.{key} must be a non-empty string, got {_kind(value)}")
    return value


def _optional_str(d: dict, key: str, where: str) -> str | None:
    return None if d.get(key) is None else _str(d, key, where)


def _str_list(d: dict, key: str, where: str) -> list[str]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}.{key} must be a list of strings, got {_kind(value)}")
    return value


def _choice(d: dict, key: str, choices: tuple, where: str) -> str:
    value = d.get(key)
    if value not in choices or not isinstance(value, str):
        raise ManifestError(f"{where}.{key} must be one of {', '.join(choices)}; got {_show(value)}")
    return value


def _labels(value: Any, task: str = "binary") -> tuple[str, ...]:
    if task == "binary":
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) and x for x in value)
                and value[0] != value[1]):
            raise ManifestError(f"labels must be two different names [negative class, positive class] "
                                f"(e.g. {list(LABELS)}), got {_show(value)}")
        return value[0], value[1]
    fewest = 3 if task == "multiclass" else 2
    if not (isinstance(value, list) and fewest <= len(value) <= MAX_LABELS and all(isinstance(x, str) and x for x in value)
            and len(set(value)) == len(value)):
        raise ManifestError(f"labels of a {task} bundle must be {fewest} to {MAX_LABELS:,} different names, in output "
                            f"order; got {_show(value)}")
    return tuple(value)


def _thresholds(value: Any, task: str, labels: int) -> tuple[float, ...] | None:
    """A multilabel bundle's decision thresholds: one number in (0, 1) per label; none otherwise."""
    if task != "multilabel":
        if value is not None:
            raise ManifestError(f"thresholds are for multilabel bundles; this one is {task}")
        return None
    if not (isinstance(value, list) and len(value) == labels and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 < v < 1.0 for v in value)):
        raise ManifestError(f"thresholds of a multilabel bundle must be {labels} numbers between 0 and 1 (one per "
                            f"label, in label order); got {_show(value)}")
    return tuple(float(v) for v in value)


def _min_labels(value: Any, task: str) -> int:
    """A multilabel bundle's fewest labels per text: 0 (absent) or 1."""
    if value is None:
        return 0
    if task != "multilabel":
        raise ManifestError(f"min_labels is for multilabel bundles; this one is {task}")
    if not _is_int(value) or value not in (0, 1):
        raise ManifestError(f"min_labels of a multilabel bundle must be 0 or 1; got {_show(value)}")
    return int(value)


def _show(value: Any) -> str:
    """A short, safe rendering of a manifest value for a message (no deep recursion)."""
    if isinstance(value, (dict, list)):
        return f"{_kind(value)} of {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), f"the number {value!r}" if isinstance(value, (int, float)) else type(value).__name__)
