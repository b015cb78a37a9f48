"""The runtime package is typed (the wheel says ``Typing :: Typed``): mypy finds nothing wrong."""

import subprocess
import sys

import pytest

from conftest import REPO

pytest.importorskip("mypy", reason="the type check needs mypy (the 'dev' extra)")


def test_the_runtime_package_type_checks_clean(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")
