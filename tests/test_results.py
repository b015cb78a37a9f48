"""The results table is generated from bundle manifests."""

import json
import shutil

from edge_sentiment_export.results import table

from conftest import SHIPPED_BUNDLE


def seedlike_copy(tmp_path, name: str, seed_accuracy: float):
    bundle = tmp_path / name
    shutil.copytree(SHIPPED_BUNDLE, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["training"]["config"].update(preset=name, seed_accuracy=seed_accuracy, seed_split="test")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return bundle


def test_table_row_comes_from_the_manifest(tmp_path):
    accuracy = json.loads((SHIPPED_BUNDLE / "manifest.json").read_text())["metrics"]["test"]["onnx"]["accuracy"]
    far = seedlike_copy(tmp_path, "far", round(accuracy + 0.02, 3))  # more than one point above ours
    near = seedlike_copy(tmp_path, "near", round(accuracy + 0.005, 3))  # within one point
    lines = table([SHIPPED_BUNDLE, far, near]).splitlines()
    assert len(lines) == 5 and lines[1].startswith("|---")
    assert "| default |" in lines[2] and f"{accuracy:.4f}" in lines[2]
    assert "| far |" in lines[3] and f"| test {accuracy + 0.02:.3f} |" in lines[3] and "| no |" in lines[3]
    assert "| near |" in lines[4] and "| yes |" in lines[4]
