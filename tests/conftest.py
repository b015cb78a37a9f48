"""Shared fixtures. Tests that need the real IMDB reviews read them from
../shared/data (never from the project) and skip with a reason when absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_TARBALL = REPO.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"
SHIPPED_BUNDLE = REPO / "artifacts" / "default"
#: The seed presets' bundles: in the repository, not in the sdist.
PRESETS_DIR = REPO / "artifacts" / "presets"
PRESET_BUNDLES = sorted(p for p in PRESETS_DIR.glob("*") if (p / "manifest.json").is_file())
needs_presets = pytest.mark.skipif(not PRESET_BUNDLES, reason=f"the seed presets' bundles are not here ({PRESETS_DIR}: "
                                   "the repository has them, the sdist does not)")

POSITIVE_WORDS = ["great", "wonderful", "superb", "loved", "brilliant", "moving"]
NEGATIVE_WORDS = ["awful", "boring", "terrible", "hated", "dull", "waste"]
FILLER = ["the", "film", "a", "plot", "was", "and", "actors", "story", "it", "scenes"]


@pytest.fixture(scope="session")
def real_tarball() -> Path:
    if not REAL_TARBALL.is_file():
        pytest.skip(f"real IMDB data not found at {REAL_TARBALL} (it lives in ../shared/data beside the project)")
    return REAL_TARBALL


@pytest.fixture(scope="session")
def real_test_split(real_tarball):
    from edge_sentiment_export.data import load_imdb

    return load_imdb(real_tarball, splits=("test",)).test


def synthetic_review(rng, label: int, length: int) -> str:
    """A made-up review whose sentiment words follow ``label`` (for tiny training sets)."""
    cue = POSITIVE_WORDS if label else NEGATIVE_WORDS
    words = [rng.choice(cue) if rng.random() < 0.3 else rng.choice(FILLER) for _ in range(length)]
    return " ".join(words).capitalize() + ".<br /><br />The end."


def write_tiny_imdb(root: Path, per_class: int = 40, seed: int = 0) -> Path:
    """An aclImdb folder of synthetic reviews, with unsup/ and .feat noise a loader must skip."""
    import random

    rng = random.Random(seed)
    for split in ("train", "test"):
        for label, folder in ((0, "neg"), (1, "pos")):
            target = root / "aclImdb" / split / folder
            target.mkdir(parents=True)
            for i in range(per_class):
                rating = rng.randint(7, 10) if label else rng.randint(1, 4)
                (target / f"{i}_{rating}.txt").write_text(synthetic_review(rng, label, rng.randint(5, 40)))
        (root / "aclImdb" / split / "labeledBow.feat").write_text("0 0:1\n")
    unsup = root / "aclImdb" / "train" / "unsup"
    unsup.mkdir()
    (unsup / "0_0.txt").write_text("unlabeled review that must not be read")
    return root / "aclImdb"


@pytest.fixture
def tiny_imdb(tmp_path) -> Path:
    return write_tiny_imdb(tmp_path / "data")


@pytest.fixture
def bundle_copy(tmp_path) -> Path:
    """A private copy of the shipped bundle that a test may break."""
    target = tmp_path / "bundle"
    shutil.copytree(SHIPPED_BUNDLE, target)
    return target


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None, timeout: float = 600):
    """Run ``edge-sentiment`` in a fresh process, as a user would."""
    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or shutil.which("edge-sentiment")
    assert exe, "the edge-sentiment console script is not installed"
    return subprocess.run([exe, *args], input=input, capture_output=True, cwd=cwd, timeout=timeout)


def error_line(result) -> str:
    """The last line a failed command printed (never a traceback)."""
    lines = result.stderr.decode().strip().splitlines()
    assert lines and "Traceback" not in result.stderr.decode(), result.stderr.decode()
    return lines[-1]


needs_node_modules = pytest.mark.skipif(shutil.which("node") is None or not (REPO / "js" / "node_modules").is_dir(),
                                        reason="needs Node and js/node_modules (npm ci in js/)")


def js_conformance(*bundles: Path) -> str:
    """Every conformance case of ``bundles`` through the JavaScript runtime under Node (it must
    pass); returns its summary lines (js/scripts/conformance.js)."""
    result = subprocess.run(["node", "scripts/conformance.js", *map(str, bundles)], cwd=REPO / "js",
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Served:
    """A real ``edge-sentiment serve`` process on a free port, and a small HTTP client for it."""

    def __init__(self, process: subprocess.Popen, address: str) -> None:
        self.process, self.address = process, address
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)

    def request(self, method: str, path: str, body: object = None, raw: bytes | None = None, headers: dict | None = None):
        """``(status, headers, parsed JSON or text)`` of one request on a new connection."""
        import http.client

        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            return self.exchange(connection, method, path, body, raw, headers)
        finally:
            connection.close()

    @staticmethod
    def exchange(connection, method: str, path: str, body: object = None, raw: bytes | None = None,
                 headers: dict | None = None):
        import json

        payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        kind = response.getheader("content-type", "")
        return response.status, dict(response.getheaders()), json.loads(data) if "json" in kind else data.decode()

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit status."""
        import signal

        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_server(*args: str, timeout: float = 120) -> Served:
    """Start ``edge-sentiment serve --port 0 ARGS`` and wait until it says where it listens and is ready."""
    import re
    import time

    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable)) or shutil.which("edge-sentiment")
    process = subprocess.Popen([exe, "serve", "--port", "0", *args], stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    address, deadline, seen = None, time.monotonic() + timeout, []
    while address is None:
        line = process.stderr.readline().decode()
        seen.append(line)
        if not line and process.poll() is not None:
            raise AssertionError("the server exited before listening:\n" + "".join(seen))
        found = re.search(r"on http://(\S+:\d+) ", line)
        address = found.group(1) if found else None
        assert time.monotonic() < deadline, "the server did not say where it listens:\n" + "".join(seen)
    server = Served(process, address)
    _drain_in_background(process.stderr, seen)
    server.log = seen
    while True:  # ready once the model answers
        try:
            if server.request("GET", "/readyz")[0] == 200:
                return server
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server never got ready:\n" + "".join(seen)
        time.sleep(0.05)


def _drain_in_background(stream, lines: list[str]) -> None:
    """Keep reading the server's log, so it never blocks on a full pipe."""
    import threading

    threading.Thread(target=lambda: lines.extend(line.decode() for line in stream), daemon=True).start()
