"""onnxruntime backend (the default). ``InferenceSession.run`` is thread-safe."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from ..bundle import Bundle
from ..constants import PAD_ID
from ..errors import BundleError
from . import Predictor, trim_leading_padding


def session_options() -> ort.SessionOptions:
    """One thread per call, measured with benchmarks/session_options.py on 2 cores:
    single-review median 205 µs (1 thread) vs 233 µs (2) and 326 µs (onnxruntime's
    default, which spins threads), batch throughput within 10%; and callers that
    score from several threads get one core each. Saving the optimised graph did
    not shorten session creation (4 ms either way), so it is not done."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


def load(bundle: Bundle, file_key: str = "onnx"):
    path = bundle.file(file_key)
    session = _session(path)
    _check_io(session, bundle, path)
    input_name, output_name = bundle.io.input_name, bundle.io.output_name
    trim = trim_leading_padding if bundle.io.trims_leading_padding else lambda ids: ids

    def predict(ids: np.ndarray) -> np.ndarray:
        (scores,) = session.run([output_name], {input_name: trim(ids)})
        return scores.reshape(len(ids))

    # The single-review graph is the fp32 model's companion; the int8 file has none.
    if file_key != "onnx" or bundle.io.single_review_min_steps is None:
        return predict
    return _with_single_review_graph(predict, bundle, bundle.io.single_review_file)


def _with_single_review_graph(predict_batch, bundle: Bundle, file_key: str) -> Predictor:
    """A predictor whose lone rows, and ``one`` calls, run the single-review graph
    (export/single_review.py): the same scores from unpadded ids, with ~3x fewer nodes."""
    path = bundle.file(file_key)
    session = _session(path)
    _check_single_review_io(session, bundle, path)
    input_name, output_name, min_steps = bundle.io.input_name, bundle.io.output_name, bundle.io.single_review_min_steps

    def one(kept: np.ndarray) -> float:
        (score,) = session.run([output_name], {input_name: kept})
        return float(score[0, 0])

    def predict(ids: np.ndarray) -> np.ndarray:
        if len(ids) == 1:
            row = ids[0]
            kept = row[row != PAD_ID]  # pre-padded: the review's ids, in order
            if len(kept) >= min_steps:
                return np.array([one(kept)], dtype=np.float32)
        return predict_batch(ids)

    return Predictor(predict, one=one, one_min_steps=min_steps)


def _session(path) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise BundleError(f"{path} could not be loaded by onnxruntime: {_first_line(exc)}") from None


def _check_io(session: ort.InferenceSession, bundle: Bundle, path) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    want_in, want_out = bundle.io.input_name, bundle.io.output_name
    if [i.name for i in inputs] != [want_in] or [o.name for o in outputs] != [want_out]:
        raise BundleError(
            f"{path} has inputs {[i.name for i in inputs]} and outputs {[o.name for o in outputs]}, "
            f"the manifest says [{want_in!r}] and [{want_out!r}]"
        )
    # A model that trims leading padding has a symbolic length ("steps").
    expected = "steps" if bundle.io.trims_leading_padding else bundle.io.maxlen
    if inputs[0].shape[1:] != [expected]:
        raise BundleError(f"{path} takes input shape {inputs[0].shape}, the manifest says [batch, {expected}]")
    made_for = session.get_modelmeta().custom_metadata_map.get("edge_sentiment.maxlen")
    if made_for is not None and int(made_for) != bundle.io.maxlen:
        raise BundleError(f"{path} was exported for maxlen {made_for}, the manifest says {bundle.io.maxlen}")


def _check_single_review_io(session: ort.InferenceSession, bundle: Bundle, path) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    wanted = ([bundle.io.input_name], [["steps"]], [bundle.io.output_name])
    found = ([i.name for i in inputs], [i.shape for i in inputs], [o.name for o in outputs])
    if found != wanted:
        raise BundleError(f"{path} has inputs {found[0]} of shapes {found[1]} and outputs {found[2]}; "
                          f"a single-review graph takes {wanted[0]} of shape ['steps'] to {wanted[2]}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
