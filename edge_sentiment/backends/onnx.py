"""onnxruntime backend (the default). ``InferenceSession.run`` is thread-safe."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from ..bundle import Bundle
from . import trim_leading_padding
from ..errors import BundleError


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
    try:
        session = ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        raise BundleError(f"{path} could not be loaded by onnxruntime: {_first_line(exc)}") from None
    _check_io(session, bundle, path)
    input_name, output_name = bundle.io.input_name, bundle.io.output_name
    trim = trim_leading_padding if bundle.io.trims_leading_padding else lambda ids: ids

    def predict(ids: np.ndarray) -> np.ndarray:
        (scores,) = session.run([output_name], {input_name: trim(ids)})
        return scores.reshape(len(ids))

    return predict


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


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
