"""The JavaScript runtime (js/): the conformance cases under Node and in a real headless Chromium,
the tokenizer against Python's on random text, and the demo page.

Needs Node 20+ with `npm ci` run in js/ (CI does it), and for the browser tests Playwright (the
dev extra) with a Chromium installed by the system (Debian's `chromium`; never a download).
"""

import json
import random
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import PRESET_BUNDLES, REPO
from edge_sentiment.text import tokenize

JS = REPO / "js"
BUNDLES = ["default", *(f"presets/{p.name}" for p in PRESET_BUNDLES)]

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (JS / "node_modules" / "onnxruntime-node").is_dir() or not PRESET_BUNDLES,
    reason="the JavaScript tests need Node 20+, `npm ci` in js/ (ONNXRUNTIME_NODE_INSTALL=skip npm ci) and the "
    "repository's bundles (an sdist has neither js/ nor the presets)",
)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def node(script: str, *, input: str | None = None, cwd: Path = JS) -> str:
    result = subprocess.run(["node", "--input-type=module", "-e", script], input=input, capture_output=True,
                            text=True, cwd=cwd, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.skipif(__import__("unicodedata").unidata_version != "14.0.0", reason="the tables are Unicode 14.0 (Python 3.11)")
def test_the_javascript_unicode_tables_are_generated_from_this_python():
    import runpy

    generator = runpy.run_path(str(JS / "scripts" / "unicode_tables.py"))
    assert (JS / "src" / "unicode14.js").read_text(encoding="utf-8") == generator["tables"]()


@needs_node
def test_npm_test_passes_every_conformance_case_under_node():
    result = subprocess.run(["npm", "test"], cwd=JS, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    summaries = re.findall(r"# (\S+): (.+?)\s+(\d+) cases, (\d+) failures", result.stdout)
    assert len(summaries) == 4 * len(BUNDLES)
    assert all(int(cases) >= 300 and failures == "0" for _, _, cases, failures in summaries)


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ["<br />", "<BR/>", "< br >", "Σ", "ς", "İ", "ı", "'", "’", " ", "\t", "\u2028", "\x1c", "\ufeff", "\u200d",
              "\u0301", "ﬁ", "①", "½", "ｆ", "ΟΔΥΣΣΕΥΣ", "don't", "a", "Z", "9", "_", "😀", "\U0001e030", "\U00010164",
              "\ufe0f", "\u2764", "\U0001f3fd", "\u2122", "\ufffd", "\U0001fae8"]

    def code_point() -> str:
        r = rng.random()
        high = 0x250 if r < 0.5 else 0x10000 if r < 0.8 else 0x110000
        code = rng.randrange(0x20 if high == 0x250 else 0x250 if high == 0x10000 else 0x10000, high)
        return chr(code) if not 0xD800 <= code <= 0xDFFF else "\ud800"  # lone surrogates: one kind is enough
    texts = []
    for _ in range(count):
        text = "".join(rng.choice(pieces) if rng.random() < 0.4 else code_point() for _ in range(rng.randrange(25)))
        texts.append(json.loads(json.dumps(text)))  # what JSON carries to JavaScript (a surrogate pair joins)
    return texts


@needs_node
@pytest.mark.parametrize("symbols", [False, True], ids=["v1", "v2 (symbols)"])
def test_the_javascript_tokenizer_equals_pythons_on_random_text(symbols):
    texts = random_texts(20_000, seed=11)
    script = ("import { tokenize } from './src/text.js'; let input = '';"
              "process.stdin.on('data', (d) => input += d); process.stdin.on('end', () => {"
              " for (const line of input.split('\\n')) if (line) console.log(JSON.stringify("
              f"tokenize(JSON.parse(line), {'true' if symbols else 'false'}))); }});")
    got = node(script, input="\n".join(json.dumps(t) for t in texts) + "\n").splitlines()
    differ = [(t, json.loads(g), tokenize(t, symbols)) for t, g in zip(texts, got) if json.loads(g) != tokenize(t, symbols)]
    assert len(got) == len(texts) and differ == []


@needs_node
def test_node_scores_equal_pythons_on_many_texts():
    from edge_sentiment import SentimentClassifier

    texts = [t for t in random_texts(300, seed=5)] + ["not bad at all", "", "a fun film " * 300]
    script = ("import { SentimentClassifier } from './src/index.js'; import fs from 'node:fs';"
              "const texts = JSON.parse(fs.readFileSync(0, 'utf8'));"
              "const clf = await SentimentClassifier.load('../artifacts/default');"
              "const batch = await clf.predictBatch(texts); const one = [];"
              "for (const t of texts) one.push(await clf.predict(t));"
              "console.log(JSON.stringify({batch, one}));")
    out = json.loads(node(script, input=json.dumps(texts)))
    python = SentimentClassifier.load()
    expected = [python.predict(t) for t in texts]
    for kind in ("batch", "one"):
        assert [p["label"] for p in out[kind]] == [p.label for p in expected]
        assert max(abs(p["score"] - e.score) for p, e in zip(out[kind], expected)) <= 1e-5


@needs_node
def test_node_refuses_onnx_external_data_even_where_its_file_is_found(tmp_path):
    import onnx

    bundle = Path(shutil.copytree(REPO / "artifacts" / "default", tmp_path / "bundle"))
    model = onnx.load(str(bundle / "model.onnx"))
    onnx.save_model(model, str(bundle / "model.onnx"), save_as_external_data=True, location="weights.bin",
                    size_threshold=0)
    shutil.copy(bundle / "weights.bin", tmp_path / "weights.bin")  # in the working directory too
    manifest = json.loads((bundle / "manifest.json").read_text())
    data = (bundle / "model.onnx").read_bytes()
    manifest["files"]["onnx"].update(sha256=__import__("hashlib").sha256(data).hexdigest(), bytes=len(data))
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    script = (f"import {{ SentimentClassifier }} from {json.dumps(str(JS / 'src' / 'index.js'))};"
              f"try {{ await SentimentClassifier.load({json.dumps(str(bundle))}); console.log('loaded'); }}"
              "catch (error) { console.log(error.name + ': ' + error.message); }")
    out = node(script, cwd=tmp_path)
    assert out.strip() == ("BundleError: model.onnx keeps weights in external data files, which a bundle may not (they "
                           "are not covered by the manifest's sha256); re-export the bundle")


@pytest.fixture(scope="module")
def server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(["node", str(JS / "scripts" / "serve.js"), "--port", str(port)], stdout=subprocess.PIPE, text=True)
    assert "serving" in process.stdout.readline()
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright (the dev extra)")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium package (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield instance
        instance.close()


@needs_node
def test_every_conformance_case_passes_in_headless_chromium(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/js/test/browser.html?bundles={','.join(BUNDLES)}")
    page.wait_for_function("document.title === 'done'", timeout=600_000)
    outcome = page.evaluate("window.conformance")
    assert "error" not in outcome, outcome.get("error")
    for name, result in outcome["results"].items():
        for check in result["checks"]:
            assert check["cases"] >= 300 and check["failures"] == 0, (name, check)
    page.close()


@needs_node
def test_the_demo_page_answers_as_you_type(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(f"{server}/js/demo/")
    page.wait_for_function("document.body.dataset.ready === 'yes'", timeout=300_000)
    page.fill("#review", "not bad at all, a fun film")
    page.wait_for_function("document.getElementById('score').textContent.includes('0.38')", timeout=60_000)
    assert page.text_content("#label").strip() == "negative"
    words = page.eval_on_selector_all("#words span[data-contribution]", "nodes => nodes.map(n => [n.textContent, Number(n.dataset.contribution)])")
    assert [w for w, _ in words] == ["not", "bad", "at", "all", "a", "fun", "film"]
    contributions = dict(words)
    assert contributions["bad"] < 0 < contributions["fun"]
    page.fill("#review", "a wonderful, moving film")
    page.wait_for_function("document.getElementById('label').textContent.trim() === 'positive'", timeout=60_000)
    shot = tmp_path / "demo.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    page.close()


def test_the_explain_page_renders_in_chromium(browser, tmp_path):
    """edge-sentiment explain --html, opened in a real browser: coloured words, one section per text."""
    from conftest import run_cli

    page_file = tmp_path / "explain.html"
    result = run_cli("explain", "--html", str(page_file), "not bad at all, a fun film", "the worst film<br />ever")
    assert result.returncode == 0, result.stderr.decode()
    page = browser.new_page(viewport={"width": 900, "height": 600})
    page.goto(page_file.as_uri())
    assert page.locator("section").count() == 2
    colours = page.eval_on_selector_all("section .w", "nodes => nodes.map(n => [n.textContent, getComputedStyle(n).backgroundColor])")
    words = dict(colours)
    assert words["bad"] != words["fun"] and "rgb(255, 255, 255)" not in (words["bad"], words["fun"])
    assert page.locator("section br").count() == 1  # the review's <br /> shows as a line break
    page.screenshot(path=str(tmp_path / "explain.png"))
    assert (tmp_path / "explain.png").stat().st_size > 10_000
    page.close()
