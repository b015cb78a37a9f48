"""LiteRT (TFLite) backend, from the ``tflite`` extra (package ``ai-edge-litert``).

A LiteRT interpreter is not thread-safe and has one input shape at a time, so
calls are serialised with a lock and the input is resized when the batch changes.
"""

from __future__ import annotations

import threading

import numpy as np

from ..bundle import Bundle
from ..errors import BackendUnavailableError, BundleError
from ..forks import renew_after_fork
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
    return _Serialised(interpreter, data, inp["index"], out["index"], bundle.io.width)


class _Serialised:
    """The interpreter's calls, one at a time, the input resized when the batch changes."""

    def __init__(self, interpreter: Interpreter, model: bytes, input_index: int, output_index: int, width: int) -> None:
        self.interpreter: Interpreter | None = interpreter
        self.model, self.input_index, self.output_index, self.width = model, input_index, output_index, width
        self.batch: int | None = None
        self.lock = threading.Lock()
        renew_after_fork(self)

    def _after_fork(self) -> None:
        """In a child forked while another thread was in a call: a lock and an interpreter of its
        own, made at its first call (LiteRT refuses to run while anything holds a reference into
        the interpreter, and the interrupted call's references are never dropped in the child)."""
        self.lock = threading.Lock()
        self.interpreter, self.batch = None, None

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        with self.lock:
            if self.interpreter is None:
                self.interpreter = Interpreter(model_content=self.model)
            if self.batch != len(ids):
                self.batch = None  # (until the new shape is allocated: a fork in between redoes it)
                self.interpreter.resize_tensor_input(self.input_index, [len(ids), self.width])
                self.interpreter.allocate_tensors()
                self.batch = len(ids)
            self.interpreter.set_tensor(self.input_index, np.ascontiguousarray(ids, dtype=np.int32))
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self.output_index).copy()


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
