"""onnxruntime backend (the default). ``InferenceSession.run`` is thread-safe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..bundle import Bundle
from ..constants import MANIFEST_NAME
from ..errors import BundleError
from . import Predictor, trim_leading_padding, trim_subword_padding


#: onnxruntime's session setting for where a model loaded from bytes finds its external data.
EXTERNAL_DATA_FOLDER_KEY = "session.model_external_initializers_file_folder_path"


def session_options() -> ort.SessionOptions:
    """One thread per call: faster for one text than onnxruntime's default (which spins
    threads), as fast for batches, and callers that score from several threads get one
    core each (benchmarks/session_options.py; figures in docs/design.md)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


def load(bundle: Bundle, file_key: str = "onnx"):
    session, path = _session(bundle, file_key)
    _check_io(session, bundle, path)
    input_name, output_name = bundle.io.input_name, bundle.io.output_name
    # The int8 file gets whole rows: its RNN states after cut padding were computed from the
    # float word vectors, not the quantized ones, so a cut would make a score depend on the
    # other rows of its call.
    trim = _trimmer(bundle, file_key)

    def predict(ids: np.ndarray) -> np.ndarray:
        (scores,) = session.run([output_name], {input_name: trim(ids)})
        return scores

    # The single-text graph is the fp32 model's companion; the int8 file has none.
    if file_key != "onnx" or bundle.io.single_text_file is None:
        return predict
    return _with_single_text_graph(predict, bundle, bundle.io.single_text_file)


def _trimmer(bundle: Bundle, file_key: str):
    """What the batch predictor cuts from a matrix before the call (the float file only)."""
    if file_key != "onnx":
        return lambda ids: ids
    if bundle.io.trims_leading_padding:
        return trim_leading_padding
    if bundle.io.trims_subword_padding:
        return lambda ids: trim_subword_padding(ids, bundle.io.maxlen)
    return lambda ids: ids


def _with_single_text_graph(predict_batch, bundle: Bundle, file_key: str) -> Predictor:
    """The batch predictor plus ``one``: the single-text graph (export/onnx_graphs/single_text.py),
    the same scores from one text's unpadded ids, with ~3x fewer nodes. Which texts it
    serves is the classifier's choice (``SentimentClassifier.score_ids``)."""
    session, path = _session(bundle, file_key)
    _check_single_text_io(session, bundle, path)
    input_name, output_name, subwords_name = bundle.io.input_name, bundle.io.output_name, bundle.io.single_text_subwords

    def one(kept: np.ndarray, subwords: np.ndarray | None = None) -> np.ndarray:
        feeds = {input_name: kept} if subwords_name is None else {input_name: kept, subwords_name: subwords}
        (scores,) = session.run([output_name], feeds)
        return scores[0]

    return Predictor(predict_batch, one=one, one_min_steps=bundle.io.single_text_min_steps or 1)


def _session(bundle: Bundle, file_key: str) -> tuple[ort.InferenceSession, Path]:
    """A session made from the file's verified bytes (never reopened by path, so what runs is
    what was checked), and the file's path for messages."""
    data = bundle.read(file_key)
    path = bundle.location(file_key)
    options = session_options()
    # Weights in ONNX external-data files would escape the manifest's sha256: onnxruntime is
    # pointed at a folder that cannot exist (under a regular file), so a model that has any fails.
    options.add_session_config_entry(EXTERNAL_DATA_FOLDER_KEY, str(bundle.path / MANIFEST_NAME / "no-external-data"))
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"]), path
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
        if "external data" in str(exc).lower():
            raise BundleError(f"{path} keeps weights in external data files, which a bundle may not (they are not "
                              "covered by the manifest's sha256); re-export the bundle") from None
        raise BundleError(f"{path} could not be loaded by onnxruntime: {_first_line(exc)}") from None


def _check_output(session: ort.InferenceSession, path: Path, shape: list) -> None:
    """One float32 output of ``shape`` (``None``: any batch size); anything else would be
    taken as scores it is not."""
    (output,) = session.get_outputs()
    found = [d if isinstance(d, int) else None for d in output.shape]
    if output.type != "tensor(float)" or found != shape:
        raise BundleError(f"{path} returns {output.type} of shape {output.shape}; a bundle's model returns "
                          f"tensor(float) of shape {shape}: re-export the bundle")


def _check_io(session: ort.InferenceSession, bundle: Bundle, path) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    want_in, want_out = bundle.io.input_name, bundle.io.output_name
    if [i.name for i in inputs] != [want_in] or [o.name for o in outputs] != [want_out]:
        raise BundleError(
            f"{path} has inputs {[i.name for i in inputs]} and outputs {[o.name for o in outputs]}, "
            f"the manifest says [{want_in!r}] and [{want_out!r}]"
        )
    # A model that trims leading padding has a symbolic length ("steps").
    expected = "steps" if bundle.io.trims_leading_padding or bundle.io.trims_subword_padding else bundle.io.width
    if inputs[0].shape[1:] != [expected]:
        raise BundleError(f"{path} takes input shape {inputs[0].shape}, the manifest says [batch, {expected}]")
    _check_output(session, path, [None, bundle.io.outputs])
    made_for = session.get_modelmeta().custom_metadata_map.get("edge_sentiment.maxlen")
    if made_for is not None and int(made_for) != bundle.io.maxlen:
        raise BundleError(f"{path} was exported for maxlen {made_for}, the manifest says {bundle.io.maxlen}")


def _check_single_text_io(session: ort.InferenceSession, bundle: Bundle, path) -> None:
    inputs, outputs = session.get_inputs(), session.get_outputs()
    subwords = bundle.io.single_text_subwords
    wanted = ([bundle.io.input_name] + ([subwords] if subwords else []), [["steps"]] + ([["count"]] if subwords else []),
              [bundle.io.output_name])
    found = ([i.name for i in inputs], [i.shape for i in inputs], [o.name for o in outputs])
    if found != wanted:
        raise BundleError(f"{path} has inputs {found[0]} of shapes {found[1]} and outputs {found[2]}; "
                          f"this bundle's single-text graph takes {wanted[0]} of shapes {wanted[1]} to {wanted[2]}")
    _check_output(session, path, [1, bundle.io.outputs])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
