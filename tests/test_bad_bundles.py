"""Bundles both runtimes must refuse: the shared list in tests/fixtures/bad-bundles.json (the
JavaScript runtime's js/test/bad-bundles.test.js reads the same list)."""

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, SHIPPED_BUNDLE
from edge_sentiment import BundleError, SentimentClassifier

CASES = json.loads((REPO / "tests" / "fixtures" / "bad-bundles.json").read_text())["cases"]


def apply(bundle: Path, change: dict) -> None:
    """One operation of the shared list (see its 'about')."""
    op = change["op"]
    if op in ("set", "delete"):
        path = bundle / change["file"]
        data = json.loads(path.read_text())
        target = data
        for key in change["path"][:-1]:
            target = target[key]
        if op == "set":
            target[change["path"][-1]] = change["value"]
        else:
            del target[change["path"][-1]]
        path.write_text(json.dumps(data))
    elif op == "replace":
        (bundle / change["file"]).write_text(json.dumps(change["value"]))
    elif op == "copy":
        shutil.copyfile(REPO / "artifacts" / change["from"], bundle / change["file"])
    elif op == "symlink":
        (bundle / change["file"]).unlink()
        os.symlink(change["target"], bundle / change["file"])
    elif op == "fifo":
        (bundle / change["file"]).unlink()
        os.mkfifo(bundle / change["file"])
    elif op == "shift_scores":
        path = bundle / "conformance.jsonl"
        cases = [json.loads(line) for line in path.read_text().splitlines()]
        for case in cases:
            case["scores"][change["backend"]] = min(1.0, case["scores"][change["backend"]] + change["by"])
        path.write_text("".join(json.dumps(case) + "\n" for case in cases))
    elif op == "rehash":
        manifest = json.loads((bundle / "manifest.json").read_text())
        entry = manifest["files"][change["key"]]
        data = (bundle / entry["path"]).read_bytes()
        entry.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
        (bundle / "manifest.json").write_text(json.dumps(manifest))
    else:
        raise AssertionError(f"unknown operation {op!r}")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_python_runtime_refuses(tmp_path, case):
    if any(change["op"] == "copy" for change in case["changes"]) and not (REPO / "artifacts" / "presets").is_dir():
        pytest.skip("needs the repository's preset bundles")
    bundle = Path(shutil.copytree(SHIPPED_BUNDLE, tmp_path / "bundle"))
    for change in case["changes"]:
        apply(bundle, change)
    with pytest.raises(BundleError) as caught:
        SentimentClassifier.load(bundle)
    assert case["expect"] in str(caught.value)
