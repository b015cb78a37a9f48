"""The load-time probe: every backend re-scores a few of the bundle's conformance cases
before it is used, so a model file that is not this bundle's, or a runtime that computes
other numbers than the exporter's, is refused with a message that says which.
"""

from __future__ import annotations

import itertools
from importlib import metadata

import numpy as np

from .bundle import Bundle
from .conformance import FILE_KEY, FILE_NAME, RUNTIME_DRIFT, iter_cases, recorded, score_diff, tolerance
from .encoding import Encoder
from .errors import BundleError
from .manifest import BACKEND_FILES

#: Real texts re-scored by every backend at load: enough distinct words that a model file
#: from another bundle scores them differently, or fails on an id.
PROBE_CASES = 8
#: The package whose arithmetic each backend runs on (named in the messages).
BACKEND_PACKAGES = {"onnx": "onnxruntime", "onnx-int8": "onnxruntime", "tflite": "ai-edge-litert", "numpy": "numpy"}


class RuntimeMismatchError(BundleError):
    """The model file is the bundle's, but this runtime scores it differently than the exporter's did."""


#: The conformance categories of real texts: "text", and "review" in bundles of format 2.
PROBE_CATEGORIES = ("text", "review")


def probe_cases(bundle: Bundle, count: int = PROBE_CASES) -> list[dict]:
    """The first ``count`` cases of real texts (:data:`PROBE_CATEGORIES`) in the bundle's conformance file (none without one)."""
    if FILE_KEY not in bundle.manifest.files:
        return []
    return list(itertools.islice((case for case in iter_cases(bundle) if case.get("category") in PROBE_CATEGORIES), count))


def check_belongs(bundle: Bundle, backend: str, predictor) -> None:
    """Refuse ``predictor`` unless it reproduces the recorded scores of a few conformance cases,
    from the ids they record, within the specification's tolerance."""
    if not bundle.probed:
        return
    if FILE_KEY not in bundle.manifest.files and bundle.manifest.read_from_version >= 2:
        raise BundleError(f"{bundle.path}: the manifest lists no {FILE_NAME} file, which a format-2 bundle holds to "
                          "prove its model files are its own; re-export the bundle, or restore its manifest")
    cases = [case for case in probe_cases(bundle) if backend in case["scores"]]
    if not cases:
        return
    where = bundle.location(BACKEND_FILES[backend])
    try:
        kept = [np.asarray(case["ids"], dtype=np.int32) for case in cases]
        subwords = [np.asarray(case.get("subwords", []), dtype=np.int32) for case in cases] if bundle.encoding.subwords else None
        rows = Encoder(bundle.vocab, bundle.encoding).pad(kept, subwords)
        public = (lambda row: row[0]) if bundle.manifest.task == "binary" else (lambda row: row)
        got = [recorded(public(row)) for row in predictor(rows)]
        if predictor.one is not None and len(kept[0]) >= predictor.one_min_steps:
            got.append(recorded(public(predictor.one(kept[0], subwords[0]) if subwords else predictor.one(kept[0]))))
            cases = [*cases, cases[0]]
    except BundleError:
        raise
    except Exception as exc:  # e.g. onnxruntime on an id beyond a smaller model's table
        raise BundleError(f"{where} fails on this bundle's ids ({str(exc).strip().splitlines()[0][:200]}): the model "
                          "file is not this bundle's; re-export or re-copy the bundle") from None
    diffs = [score_diff(case["scores"][backend], score) for case, score in zip(cases, got)]
    worst = int(np.argmax(diffs))
    if diffs[worst] <= tolerance(backend):
        return
    case, limit = cases[worst], tolerance(backend)
    found = (f"{where} scores conformance case {case['case']} {_shown(got[worst])}, the bundle recorded "
             f"{_shown(case['scores'][backend])} (|diff| {diffs[worst]:.2g}, tolerance {limit:g})")
    if not diffs[worst] <= RUNTIME_DRIFT:
        raise BundleError(f"{found}: the model file is not this bundle's; re-export or re-copy the bundle")
    raise RuntimeMismatchError(f"{found}: the {backend} backend computes different numbers here than when the bundle "
                               f"was exported ({_versions(bundle, backend)}); use another backend, or re-export the "
                               "bundle with this version")


def _shown(scores) -> str:
    return f"{scores:.6f}" if isinstance(scores, float) else "[" + ", ".join(f"{v:.6f}" for v in scores[:6]) + "]"


def _versions(bundle: Bundle, backend: str) -> str:
    package = BACKEND_PACKAGES[backend]
    exported = (bundle.manifest.reports.get("versions") or {}).get(package, "unknown")
    try:
        here = metadata.version(package)
    except metadata.PackageNotFoundError:
        here = "unknown"
    return f"{package} {exported} at export, {here} here"
