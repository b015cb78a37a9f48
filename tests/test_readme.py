"""The README's examples print what the code prints."""

import re

from conftest import REPO, run_cli
from edge_sentiment import SentimentClassifier

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_quick_start_output():
    match = re.search(r'edge-sentiment predict "great film" +# prints: (.+)', README)
    assert match, "the quick start example is missing"
    assert run_cli("predict", "great film").stdout.decode().rstrip("\n") == match[1]


def test_python_api_comments():
    clf = SentimentClassifier.load()
    assert f"clf.predict(\"great film\")                        # {clf.predict('great film')!r}" in README
    proba = clf.predict_proba(["great film", "dull"])
    assert f"# {proba!r}: P(positive)" in README


def test_install_says_where():
    assert "cd edge-sentiment" in README and "pip install ." in README
