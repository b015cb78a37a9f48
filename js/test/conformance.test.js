// npm test: every conformance case of the shipped bundle and of every preset bundle, under Node.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { SentimentClassifier } from "../src/index.js";
import { parseCases, runCases } from "./conformance.js";

const artifacts = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "artifacts");
const bundles = [join(artifacts, "default"), ...readdirSync(join(artifacts, "presets")).sort().map((name) => join(artifacts, "presets", name))];

for (const bundle of bundles) {
  test(`conformance: ${bundle.split("/").slice(-1)[0]}`, async () => {
    const classifier = await SentimentClassifier.load(bundle);
    const cases = parseCases(readFileSync(join(bundle, "conformance.jsonl"), "utf8"));
    const results = await runCases(classifier, cases);
    for (const r of results) {
      console.log(`${bundle.split("/").slice(-2).join("/")}: ${r.check.padEnd(20)} ${r.cases} cases, ${r.failures} failures, max |score diff| ${r.maxAbsDiff.toExponential(1)}`);
    }
    for (const r of results) assert.equal(r.failures, 0, `${r.check}: first failure ${JSON.stringify(r.firstFailure)}`);
    assert.ok(cases.length >= 300);
  });
}
