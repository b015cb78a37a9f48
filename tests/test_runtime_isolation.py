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
