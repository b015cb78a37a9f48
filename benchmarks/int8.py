"""int8 quantization candidates for a bundle's model.onnx: accuracy, size, and whether
onnxruntime on this CPU computes what the ONNX specification defines (needs ``train``).

    python benchmarks/int8.py [BUNDLE] --data ../shared/data/aclImdb_v1_labeled.tar.gz

For each candidate: the IMDB test accuracy of onnxruntime's scores (one batch per 256
texts, as the classifier calls it), the largest difference between onnxruntime and the
ONNX reference implementation (``onnx.reference``, NumPy, the spec's integer arithmetic)
on the bundle's conformance texts, scored one text per call and in one batch, and how far
a text's score moves with the batch it is in. A difference from the reference means the
score depends on the CPU's int8 kernels (e.g. AVX2 without VNNI saturates U8S8 sums).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge_sentiment.bundle import load_bundle  # noqa: E402
from edge_sentiment.conformance import read_cases  # noqa: E402
from edge_sentiment.encoding import Encoder  # noqa: E402
from edge_sentiment_export.int8 import reference_scores, to_int8  # noqa: E402
from edge_sentiment_export.data import load_imdb  # noqa: E402

CANDIDATES = {
    "QInt8 Gather+MatMul (format 2's file)": dict(op_types=["Gather", "MatMul"], reduce_range=False),
    "QInt8 Gather+MatMul, reduce_range": dict(op_types=["Gather", "MatMul"], reduce_range=True),
    "QInt8 Gather+MatMul, per-channel, reduce_range": dict(op_types=["Gather", "MatMul"], reduce_range=True, per_channel=True),
    "QInt8 Gather only": dict(op_types=["Gather"], reduce_range=False),
    "this version (export/int8.py)": None,
}


def quantized(fp32: Path, out: Path, op_types, reduce_range: bool, per_channel: bool = False) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32, out, weight_type=QuantType.QInt8, op_types_to_quantize=op_types,
                     reduce_range=reduce_range, per_channel=per_channel)
    return out


def ort_scores(path: Path, ids: np.ndarray, batch: int) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: ids[i: i + batch]})[0].reshape(-1) for i in range(0, len(ids), batch)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", default="artifacts/default")
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    bundle = load_bundle(args.bundle)
    encoder = Encoder(bundle.vocab, bundle.encoding)
    cases = encoder.encode([case["text"] for case in read_cases(bundle)])
    test = load_imdb(args.data, splits=("test",)).test
    ids, labels = encoder.encode(test.texts), np.asarray(test.labels)
    fp32 = bundle.file("onnx")
    base = ort_scores(fp32, ids, 256)
    print(f"{'candidate':48} {'bytes':>8} {'accuracy':>9} {'max|q-fp32|':>11} {'max|ort-ref| 1/call':>20} "
          f"{'max|ort-ref| batch':>19} {'batch effect':>12}")
    print(f"{'fp32 model.onnx':48} {fp32.stat().st_size:>8} {np.mean((base >= 0.5) == labels):>9.4f}")
    with tempfile.TemporaryDirectory() as scratch:
        for name, options in CANDIDATES.items():
            path = Path(scratch) / f"{len(name)}.onnx"
            path = to_int8(fp32, path) if options is None else quantized(fp32, path, **options)
            scores = ort_scores(path, ids, 256)
            # One text per call against the whole batch (full-length rows, as the onnx-int8 backend calls it).
            one, batch = ort_scores(path, cases, 1), ort_scores(path, cases, len(cases))
            ref_one = np.concatenate([reference_scores(path, cases[i: i + 1]) for i in range(len(cases))])
            ref_batch = reference_scores(path, cases)
            print(f"{name:48} {path.stat().st_size:>8} {np.mean((scores >= 0.5) == labels):>9.4f} "
                  f"{np.abs(scores - base).max():>11.2e} {np.abs(one - ref_one).max():>20.2e} "
                  f"{np.abs(batch - ref_batch).max():>19.2e} {np.abs(one - batch).max():>12.2e}")


if __name__ == "__main__":
    main()
