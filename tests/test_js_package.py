"""The JavaScript package as an app gets it: ``npm pack``, installed from the tarball into a fresh
project, its README example run in Node, its TypeScript declarations used by a TypeScript file,
and a browser app built with a real bundler (esbuild) that imports it and predicts the
conformance texts in headless Chromium, as the Python runtime does."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from conftest import REPO
from test_js import browser, chromium_path  # noqa: F401  (the Chromium fixture)

JS = REPO / "js"
pytestmark = pytest.mark.skipif(
    shutil.which("npm") is None or not (JS / "node_modules" / "typescript").is_dir(),
    reason="the package tests need Node and npm with `npm ci` run in js/ (CI does it)")
NPM_ENV = {**os.environ, "ONNXRUNTIME_NODE_INSTALL": "skip", "npm_config_audit": "false", "npm_config_fund": "false",
           "npm_config_update_notifier": "false"}


def npm(*args: str, cwd: Path) -> str:
    result = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=900, env=NPM_ENV)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


def locked_version(name: str) -> str:
    return json.loads((JS / "package-lock.json").read_text())["packages"][f"node_modules/{name}"]["version"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack")
    try:
        npm("pack", "--pack-destination", str(out), cwd=JS)
    finally:
        shutil.rmtree(JS / "model", ignore_errors=True)  # what prepack copied: the tarball has it
    (package,) = out.glob("edge-sentiment-*.tgz")
    return package


def app_with(tmp_path: Path, tarball: Path, *packages: str) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "app", "private": True, "type": "module"}))
    npm("install", "--prefer-offline", str(tarball), *packages, cwd=project)
    return project


def test_the_tarball_holds_what_an_app_needs(tarball):
    with tarfile.open(tarball) as archive:
        names = {name.removeprefix("package/") for name in archive.getnames()}
        manifest = json.load(archive.extractfile("package/package.json"))
    assert {"README.md", "LICENSE", "types/index.d.ts", "src/index.js", "src/platform-web.js", "model/manifest.json",
            "model/model.onnx", "model/model.single.onnx", "model/vocab.json", "model/conformance.jsonl"} <= names
    assert not any(name.startswith(("test/", "scripts/", "demo/", "node_modules/")) for name in names)
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert "onnxruntime-node" not in manifest.get("dependencies", {}) and "onnxruntime-web" not in manifest.get("dependencies", {})
    assert all(manifest["peerDependenciesMeta"][name]["optional"] for name in ("onnxruntime-node", "onnxruntime-web"))
    assert manifest["exports"]["."]["types"] == "./types/index.d.ts"


def test_the_types_are_generated_from_the_current_jsdoc(tmp_path):
    subprocess.run([str(JS / "node_modules" / ".bin" / "tsc"), "-p", "tsconfig.json", "--outDir", str(tmp_path)],
                   cwd=JS, check=True, capture_output=True, timeout=300)
    generated = {p.relative_to(tmp_path): p.read_text() for p in tmp_path.rglob("*.d.ts")}
    committed = {p.relative_to(JS / "types"): p.read_text() for p in (JS / "types").rglob("*.d.ts")}
    assert generated == committed, "js/types/ is stale: run `npm run types` in js/"


def test_a_node_app_installs_the_tarball_and_runs_the_readme_example(tarball, tmp_path):
    project = app_with(tmp_path, tarball, f"onnxruntime-node@{locked_version('onnxruntime-node')}")
    assert not (project / "node_modules" / "onnxruntime-web").exists()  # an optional peer: not installed
    readme = (JS / "README.md").read_text()
    example = re.search(r"## Node\n\n```js\n(.*?)```", readme, re.S)[1]
    (project / "example.mjs").write_text(example)
    result = subprocess.run(["node", "example.mjs"], cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = re.findall(r"console\.log\(.*\);\s*// (.+)", example)
    assert result.stdout.strip().splitlines() == expected

    (project / "check.ts").write_text(
        'import { SentimentClassifier, BundleError, type Prediction } from "edge-sentiment";\n'
        "const clf: SentimentClassifier = await SentimentClassifier.load(undefined, { threshold: 0.7 });\n"
        'const p: Prediction = await clf.predict("great film");\n'
        "const score: number = p.score;\n"
        "const error: Error = new BundleError(`${score}`);\n"
        "// @ts-expect-error: a text is a string\n"
        "await clf.predict(5);\n"
        'console.log(error.message, (await clf.predictBatch(["a"])).length);\n')
    (project / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": True, "noEmit": True,
        "skipLibCheck": True}, "files": ["check.ts"]}))
    checked = subprocess.run([str(JS / "node_modules" / ".bin" / "tsc"), "-p", "."], cwd=project, capture_output=True,
                             text=True, timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    missing = subprocess.run(["node", "--input-type=module", "-e",
                              'import { SentimentClassifier } from "edge-sentiment";'
                              'await SentimentClassifier.load(undefined, { runtime: "web" });'],
                             cwd=project, capture_output=True, text=True, timeout=300)
    assert missing.returncode != 0
    assert "needs onnxruntime-web, an optional peer dependency: npm install onnxruntime-web" in missing.stderr


APP = """
import { SentimentClassifier } from "edge-sentiment";

try {
const clf = await SentimentClassifier.load(new URL("model/", location.href).href);
const cases = (await (await fetch("model/conformance.jsonl")).text()).trim().split("\\n").map((line) => JSON.parse(line));
const texts = cases.slice(0, 60).map((c) => c.text);
const one = [];
for (const text of texts) one.push((await clf.predict(text)).score);
const many = (await clf.predictBatch(texts)).map((p) => p.score);
window.results = { texts, one, many };
} catch (error) {
  window.results = { error: String(error.stack ?? error) };
}
"""


def test_a_bundled_browser_app_predicts_the_conformance_texts(tarball, tmp_path, browser):  # noqa: F811
    from edge_sentiment import SentimentClassifier

    project = app_with(tmp_path, tarball, f"onnxruntime-web@{locked_version('onnxruntime-web')}")
    assert not (project / "node_modules" / "onnxruntime-node").exists()
    (project / "app.js").write_text(APP)
    dist = project / "dist"
    built = subprocess.run([str(JS / "node_modules" / ".bin" / "esbuild"), "app.js", "--bundle", "--format=esm",
                            "--platform=browser", "--outfile=dist/app.js"], cwd=project, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    shutil.copytree(project / "node_modules" / "edge-sentiment" / "model", dist / "model")
    shutil.copy(project / "node_modules" / "onnxruntime-web" / "dist" / "ort-wasm-simd-threaded.wasm", dist)
    (dist / "index.html").write_text('<!doctype html><meta charset="utf-8"><script type="module" src="app.js"></script>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dist))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("window.results !== undefined", timeout=300_000)
        results = page.evaluate("window.results")
        page.close()
    finally:
        server.shutdown()
    assert not errors and "error" not in results, (errors, results.get("error"))
    python = SentimentClassifier.load()
    expected_one = [python.predict(text).score for text in results["texts"]]
    expected_many = python.predict_proba(results["texts"]).tolist()
    assert max(abs(a - b) for a, b in zip(results["one"], expected_one)) <= 1e-5
    assert max(abs(a - b) for a, b in zip(results["many"], expected_many)) <= 1e-5
