// The conformance check shared by the Node test and the browser page: every case of a bundle's
// conformance.jsonl through this runtime's tokenizer, encoder and models.

import { scoreDiff } from "../src/probe.js";

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Parse conformance.jsonl text into cases. */
export function parseCases(text) {
  return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line));
}

/**
 * Run every case; returns one summary per check: {check, cases, failures, maxAbsDiff, firstFailure}.
 * Scores are compared with the recorded onnx score of each case at `tolerance` (default: the case's).
 */
export async function runCases(classifier, cases, tolerance = null) {
  // (cases' scores: a number, P(labels[1]), for a binary bundle; a list in label order otherwise)
  const checks = {};
  const record = (check, kase, ok, expected, got, diff = 0) => {
    const c = (checks[check] ??= { check, cases: 0, failures: 0, maxAbsDiff: 0, firstFailure: null });
    c.cases += 1;
    c.maxAbsDiff = Math.max(c.maxAbsDiff, diff);
    if (!ok) {
      c.failures += 1;
      c.firstFailure ??= { case: kase.case, category: kase.category, text: kase.text.slice(0, 120), expected, got };
    }
  };
  for (const kase of cases) {
    const tokens = classifier.tokens(kase.text);
    record("tokens", kase, same(tokens, kase.tokens), kase.tokens, tokens);
    const ids = Array.from(classifier.encode(kase.text));
    record("ids", kase, same(ids, kase.ids), kase.ids, ids);
    if (kase.subwords !== undefined) {
      const subwords = Array.from(classifier.subwordIds(kase.text));
      record("subwords", kase, same(subwords, kase.subwords), kase.subwords, subwords);
    }
  }
  const batch = await classifier.predictBatch(cases.map((kase) => kase.text));
  for (const [i, kase] of cases.entries()) {
    compare("onnx (batch)", kase, batch[i]);
    compare("onnx (one per call)", kase, await classifier.predict(kase.text));
  }
  return Object.values(checks);

  function compare(check, kase, prediction) {
    const expected = kase.scores.onnx;
    const limit = tolerance ?? kase.tolerance.onnx;
    // Binary: P(labels[1]); more labels: every label's score, in label order.
    const got = typeof expected === "number" ? [prediction.score] : classifier.labels.map((label) => prediction.scores[label]);
    const diff = scoreDiff(expected, got);
    record(check, kase, diff <= limit, expected, typeof expected === "number" ? got[0] : got, diff);
  }
}
