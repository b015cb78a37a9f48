// The API's contract: what it returns, and the errors it gives.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { BundleError, SentimentClassifier } from "../src/index.js";

const shipped = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "artifacts", "default");

test("predict, predictBatch and encode", async () => {
  const clf = await SentimentClassifier.load(shipped);
  const one = await clf.predict("great film");
  assert.deepEqual(Object.keys(one), ["label", "score", "scores"]);
  assert.equal(one.label, one.score >= 0.5 ? "positive" : "negative");
  assert.ok(Math.abs(one.scores.positive - one.score) < 1e-7 && Math.abs(one.scores.negative - (1 - one.score)) < 1e-7);
  assert.equal(Object.keys(one.scores)[0], one.label);
  assert.deepEqual(await clf.predictBatch([]), []);
  const many = await clf.predictBatch(["great film", "", "awful"]);
  assert.equal(many.length, 3);
  assert.ok(Math.abs(many[0].score - one.score) < 1e-5);
  assert.ok(clf.encode("great film") instanceof Int32Array);
});

test("the threshold decides the label", async () => {
  const clf = await SentimentClassifier.load(shipped, { threshold: 0 });
  assert.equal((await clf.predict("awful")).label, "positive");
  await assert.rejects(SentimentClassifier.load(shipped, { threshold: 2 }), /threshold must be between 0 and 1/);
});

test("a text must be a string", async () => {
  const clf = await SentimentClassifier.load(shipped);
  await assert.rejects(clf.predict(5), /expected a string, got number/);
  await assert.rejects(clf.predictBatch("great film"), /predictBatch takes an array of strings/);
});

test("a missing bundle and a changed file are refused", async () => {
  await assert.rejects(SentimentClassifier.load("/nonexistent/bundle"), (e) => e instanceof BundleError && /cannot be read/.test(e.message));
  const copy = mkdtempSync(join(tmpdir(), "bundle-"));
  cpSync(shipped, copy, { recursive: true });
  const vocab = join(copy, "vocab.json");
  writeFileSync(vocab, readFileSync(vocab, "utf8").replace('"film"', '"flim"'));
  await assert.rejects(SentimentClassifier.load(copy), (e) => e instanceof BundleError && /sha256/.test(e.message));
});
