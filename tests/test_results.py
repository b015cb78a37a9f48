"""The results table is generated from bundle manifests."""

import json
import shutil

from edge_sentiment_export.results import table

from conftest import SHIPPED_BUNDLE


def test_table_row_comes_from_the_manifest(tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(SHIPPED_BUNDLE, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["training"]["config"].update(preset="seedlike", seed_accuracy=0.9, seed_split="test")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    lines = table([SHIPPED_BUNDLE, bundle]).splitlines()
    assert len(lines) == 4 and lines[1].startswith("|---")
    accuracy = manifest["metrics"]["test"]["onnx"]["accuracy"]
    assert f"| default |" in lines[2] and f"{accuracy:.4f}" in lines[2]
    # 0.8847 is more than one point below a seed figure of 0.900
    assert "| seedlike |" in lines[3] and "| test 0.900 |" in lines[3] and "| no |" in lines[3]
