"""LiteRT (TFLite) backend, from the ``tflite`` extra (package ``ai-edge-litert``).

A LiteRT interpreter is not thread-safe and has one input shape at a time, so
calls are serialised with a lock and the input is resized when the batch changes.
"""

from __future__ import annotations

import threading

import numpy as np

from ..bundle import Bundle
from ..errors import BackendUnavailableError, BundleError
from ..native_stderr import native_stderr_caught

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise BackendUnavailableError(
        "the 'tflite' backend needs ai-edge-litert: pip install 'edge-sentiment[tflite]'"
    ) from exc


def load(bundle: Bundle, file_key: str = "tflite"):
    data = bundle.read(file_key)  # the verified bytes: the file is never reopened by path
    path = bundle.location(file_key)
    try:
        interpreter = Interpreter(model_content=data)
    except Exception as exc:  # LiteRT raises ValueError/RuntimeError with long text
        raise BundleError(f"{path} could not be loaded by LiteRT: {str(exc).strip().splitlines()[0]}") from None
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    if list(inp["shape_signature"][1:]) != [bundle.io.width] or inp["dtype"] != np.int32:
        raise BundleError(f"{path} takes {inp['dtype'].__name__} of shape {list(inp['shape_signature'])}, "
                          f"the manifest says int32 [batch, {bundle.io.width}]")
    outputs = bundle.io.outputs
    if list(out["shape_signature"]) != [-1, outputs] or out["dtype"] != np.float32:
        raise BundleError(f"{path} returns {out['dtype'].__name__} of shape {list(out['shape_signature'])}; "
                          f"this bundle's model returns float32 [batch, {outputs}]: re-export the bundle")
    _first_allocation(interpreter)
    lock = threading.Lock()
    state: dict[str, int | None] = {"batch": None}

    def predict(ids: np.ndarray) -> np.ndarray:
        with lock:
            if state["batch"] != len(ids):
                interpreter.resize_tensor_input(inp["index"], [len(ids), bundle.io.width])
                interpreter.allocate_tensors()
                state["batch"] = len(ids)
            interpreter.set_tensor(inp["index"], np.ascontiguousarray(ids, dtype=np.int32))
            interpreter.invoke()
            return interpreter.get_tensor(out["index"]).copy()

    return predict


_allocated_once = False


def _first_allocation(interpreter: Interpreter) -> None:
    """Allocate tensors; the process's first allocation creates the XNNPACK delegate,
    which announces itself on stderr once per process: that announcement is silenced."""
    global _allocated_once
    if _allocated_once:
        return
    with native_stderr_caught():
        interpreter.allocate_tensors()
    _allocated_once = True
