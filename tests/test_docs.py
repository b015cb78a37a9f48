"""The documentation site builds with every warning an error (broken links, missing pages,
docstrings the API reference cannot render)."""

import shutil
import subprocess
import sys

import pytest

from conftest import REPO

pytest.importorskip("mkdocs", reason="building the docs needs the 'docs' extra")
pytest.importorskip("mkdocstrings", reason="building the docs needs the 'docs' extra")


def test_the_docs_build_with_warnings_as_errors(tmp_path):
    if not (REPO / "mkdocs.yml").is_file():
        pytest.skip("mkdocs.yml is not here (the sdist has no docs site)")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    reference = (tmp_path / "site" / "reference" / "index.html").read_text()
    assert "predict_proba" in reference and "score_frame" in reference  # rendered from the docstrings
    assert (tmp_path / "site" / "serving" / "index.html").is_file()
