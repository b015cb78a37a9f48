"""The runtime must never import TensorFlow or Keras (2.3 s and ~490 MiB)."""

import subprocess
import sys

CHECK = """
import sys
import edge_sentiment
clf = edge_sentiment.SentimentClassifier.load()
p = clf.predict("great film")
assert p.label in ("positive", "negative"), p
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx"))
print("HEAVY:" + ",".join(heavy))
"""


def test_fresh_process_predicts_without_tensorflow(tmp_path):
    # Run from an unrelated directory: the default model must come from the installed package.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "HEAVY:", result.stdout


NO_NETWORK = """
import socket

def refuse(*args, **kwargs):
    raise OSError("network use at predict time")

socket.socket = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import edge_sentiment
for backend in ("onnx", "numpy"):
    clf = edge_sentiment.SentimentClassifier.load(backend=backend)
    print(clf.predict("great film").label)
"""


def test_loading_and_predicting_need_no_network(tmp_path):
    result = subprocess.run([sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() and set(result.stdout.split()) <= {"positive", "negative"}
