"""Every code example in README.md and docs/ runs, so none can go stale.

Each fenced block is one of: ``python`` (a doc's python blocks run, in order, as one script in a
sandbox folder), ``sh`` (each line runs in bash there and must succeed), ``console`` (``$ ``
commands whose output must be exactly what follows them), ``js`` (runs in Node against js/src),
``json`` (must parse). A block that cannot run here says why in an HTML comment just above it
(``<!-- not run: ... -->``); a block of any other kind fails the test. The sandbox holds small
files under the names the examples use, and the bundles ``topics/`` (3 labels) and
``feelings/`` (multilabel) exported from made-up files."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli, start_server, synthetic_review

pytest.importorskip("tensorflow", reason="the examples train bundles: the 'train' extra")

from test_labels import write_feelings, write_topics_csv  # noqa: E402

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:<!-- not run: (?P<reason>[^>]+?) -->\n)?^```(?P<kind>\w*)\n(?P<body>.*?)^```$", re.M | re.S)
RUNNABLE = {"python", "sh", "console", "js", "json"}


def blocks(doc: Path) -> list[dict]:
    return [{"kind": m["kind"], "body": m["body"], "reason": m["reason"], "line": doc.read_text()[: m.start()].count("\n") + 1}
            for m in BLOCK.finditer(doc.read_text(encoding="utf-8"))]


def test_every_block_is_run_or_says_why_not():
    for doc in DOCS:
        for block in blocks(doc):
            where = f"{doc.relative_to(REPO)}:{block['line']}"
            assert block["kind"] in RUNNABLE or block["reason"], (
                f"{where}: a ```{block['kind']} block; give it a kind ({', '.join(sorted(RUNNABLE))}) or a <!-- not run: why --> line")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A folder holding every file the examples name."""
    root = tmp_path_factory.mktemp("examples")
    rng = random.Random(0)
    reviews = [synthetic_review(rng, i % 2, rng.randint(5, 30)).replace("<br /><br />", " ") for i in range(400)]
    (root / "reviews.txt").write_text("great film\na dull, lifeless film\nnot bad at all\n")
    (root / "reviews.csv").write_text("id,text\n1,great film\n2,\"dull, lifeless\"\n")
    (root / "new.csv").write_text("id,text\n1,great film\n2,awful\n")
    (root / "labeled.jsonl").write_text("".join(json.dumps({"text": t, "label": ["negative", "positive"][i % 2]}) + "\n"
                                                for i, t in enumerate(reviews[:40])))
    (root / "train.tsv").write_text("text\tlabel\n" + "".join(f"{t}\t{['negative', 'positive'][i % 2]}\n"
                                                              for i, t in enumerate(reviews[40:])))
    (root / "test.tsv").write_text("text\tlabel\n" + "".join(f"{t}\t{['negative', 'positive'][i % 2]}\n"
                                                             for i, t in enumerate(reviews[:40])))
    for part in range(2):
        (root / f"texts-{part}.csv").write_text("id,text\n" + "".join(f"{part * 50 + i},{t.replace(',', '')}\n"
                                                                      for i, t in enumerate(reviews[part * 50 : part * 50 + 50])))
    write_topics_csv(root / "test.csv", rows=90, seed=5)
    for name, train in (("topics", write_topics_csv(root / "topics.csv")), ("feelings", write_feelings(root / "feelings.jsonl"))):
        result = run_cli("export", "--train", str(train), "--epochs", "4", "--out", str(root / name))
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        assert "WARNING" not in result.stderr.decode() + result.stdout.decode()  # (TensorFlow's retracing notes)
    (root / "artifacts").symlink_to(REPO / "artifacts")
    return root


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(REPO)))
def test_the_examples_run(doc, sandbox):
    runnable = [b for b in blocks(doc) if not b["reason"]]
    if not runnable:
        pytest.skip("no example to run")
    script = "\n".join(b["body"] for b in runnable if b["kind"] == "python")
    if script:
        (sandbox / "example.py").write_text(script)
        result = _shell(f"{sys.executable} example.py", sandbox)
        assert result.returncode == 0, f"{doc.name}'s python examples:\n{result.stderr[-3000:]}"
    for block in runnable:
        where = f"{doc.relative_to(REPO)}:{block['line']}"
        if block["kind"] == "sh":
            for line in block["body"].splitlines():
                if line.strip():
                    result = _shell(line, sandbox)
                    assert result.returncode == 0, f"{where}: {line}\n{result.stderr[-2000:]}"
        elif block["kind"] == "console":
            _check_console(block["body"], sandbox, where)
        elif block["kind"] == "js":
            _run_js(block["body"], sandbox, where)
        elif block["kind"] == "json":
            json.loads(block["body"])


def _check_console(body: str, cwd: Path, where: str) -> None:
    """``$ command`` lines, each followed by exactly what it prints. Requests to localhost:8080
    go to a real ``edge-sentiment serve`` on a free port."""
    served = start_server() if "localhost:8080" in body else None
    try:
        for command, expected in re.findall(r"^\$ (.+)\n((?:(?!\$ ).*\n?)*)", body, re.M):
            if served is not None:
                command = command.replace("localhost:8080", served.address)
            result = _shell(command, cwd)
            assert result.returncode == 0, f"{where}: {command}\n{result.stderr[-2000:]}"
            assert [line.rstrip() for line in result.stdout.rstrip("\n").splitlines()] == \
                   [line.rstrip() for line in expected.rstrip("\n").splitlines()], f"{where}: {command}"
    finally:
        if served is not None:
            assert served.stop() == 0


def _run_js(body: str, cwd: Path, where: str) -> None:
    if shutil.which("node") is None or not (REPO / "js" / "node_modules").is_dir():
        pytest.skip("needs Node and js/node_modules (npm ci in js/)")
    source = body.replace('from "edge-sentiment"', f'from "{(REPO / "js" / "src" / "index.js").as_uri()}"')
    script = cwd / "example.mjs"
    script.write_text(source)
    result = subprocess.run(["node", str(script)], cwd=cwd, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NODE_PATH": str(REPO / "js" / "node_modules")})
    assert result.returncode == 0, f"{where}:\n{result.stderr[-2000:]}"
