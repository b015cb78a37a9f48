"""The last step of every ONNX file the exporter writes."""

from __future__ import annotations

import onnx

from ..config import TrainingConfig

ONNX_OPSET = 17
#: Metadata key of the maxlen a batch graph was made for (backends/onnx.py checks it).
MAXLEN_KEY = "edge_sentiment.maxlen"


def finalized(proto: onnx.ModelProto, config: TrainingConfig | None = None) -> onnx.ModelProto:
    """``proto`` stamped with the maxlen it was made for (a symbolic input length cannot show
    which maxlen its pad-state tables assume), at the lowest IR version that carries its opset
    (onnx >= 1.23 stamps IR 14, which onnxruntime 1.31 refuses), and checked."""
    if config is not None:
        onnx.helper.set_model_props(proto, {MAXLEN_KEY: str(config.maxlen)})
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto, full_check=True)
    return proto
