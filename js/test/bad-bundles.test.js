// Bundles both runtimes must refuse: the shared list in tests/fixtures/bad-bundles.json (the
// Python runtime's tests/test_bad_bundles.py reads the same list).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { BundleError, SentimentClassifier } from "../src/index.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { cases } = JSON.parse(readFileSync(join(repo, "tests", "fixtures", "bad-bundles.json"), "utf8"));

function apply(bundle, change) {
  const file = change.file && join(bundle, change.file);
  switch (change.op) {
    case "set":
    case "delete": {
      const data = JSON.parse(readFileSync(file, "utf8"));
      let target = data;
      for (const key of change.path.slice(0, -1)) target = target[key];
      if (change.op === "set") target[change.path.at(-1)] = change.value;
      else delete target[change.path.at(-1)];
      writeFileSync(file, JSON.stringify(data));
      break;
    }
    case "replace":
      writeFileSync(file, JSON.stringify(change.value));
      break;
    case "copy":
      copyFileSync(join(repo, "artifacts", change.from), file);
      break;
    case "symlink":
      unlinkSync(file);
      symlinkSync(change.target, file);
      break;
    case "fifo":
      unlinkSync(file);
      execFileSync("mkfifo", [file]);
      break;
    case "shift_scores": {
      const path = join(bundle, "conformance.jsonl");
      const lines = readFileSync(path, "utf8").split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
      for (const kase of lines) kase.scores[change.backend] = Math.min(1, kase.scores[change.backend] + change.by);
      writeFileSync(path, lines.map((kase) => JSON.stringify(kase) + "\n").join(""));
      break;
    }
    case "rehash": {
      const manifestPath = join(bundle, "manifest.json");
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
      const entry = manifest.files[change.key];
      const data = readFileSync(join(bundle, entry.path));
      entry.sha256 = createHash("sha256").update(data).digest("hex");
      entry.bytes = data.length;
      writeFileSync(manifestPath, JSON.stringify(manifest));
      break;
    }
    default:
      throw new Error(`unknown operation ${change.op}`);
  }
}

for (const kase of cases) {
  const needsPresets = kase.changes.some((change) => change.op === "copy");
  test(`refused: ${kase.name}`, { skip: needsPresets && !existsSync(join(repo, "artifacts", "presets")) }, async () => {
    const bundle = mkdtempSync(join(tmpdir(), "bad-bundle-"));
    cpSync(join(repo, "artifacts", "default"), bundle, { recursive: true });
    for (const change of kase.changes) apply(bundle, change);
    await assert.rejects(SentimentClassifier.load(bundle), (error) => {
      assert.ok(error instanceof BundleError, `${error.name}: ${error.message}`);
      assert.ok(error.message.includes(kase.expect), `"${error.message}" does not say "${kase.expect}"`);
      assert.ok(!error.message.includes("root:"), "an error must not quote a file's content");
      return true;
    });
  });
}
