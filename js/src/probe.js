// The load-time probe (docs/bundle-format.md, section 4.5): the ONNX models re-score the first
// real-text cases of the bundle's conformance.jsonl from their recorded ids before they are used,
// so a model file that is not this bundle's, or an engine that computes other numbers, is refused.

import { BundleError } from "./errors.js";

const PROBE_CASES = 8;
/** The conformance categories of real texts: "text", and "review" in bundles of format 2. */
const PROBE_CATEGORIES = ["text", "review"];
/** The specification's tolerance for the onnx backend's scores. */
export const SCORE_TOLERANCE = 1e-5;
/** Beyond the tolerance but within this: the same model, other arithmetic; further: another model. */
export const RUNTIME_DRIFT = 0.05;

/** The first `count` cases of real texts (categories "text", or "review" in format 2). */
export async function probeCases(bundle, count = PROBE_CASES) {
  const where = bundle.manifest.files.conformance.path;
  const text = new TextDecoder().decode(await bundle.read("conformance"));
  const cases = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let kase;
    try {
      kase = JSON.parse(line);
    } catch {
      throw new BundleError(`${where} is not JSON Lines; re-export the bundle`);
    }
    if (!PROBE_CATEGORIES.includes(kase?.category)) continue;
    const onnx = kase.scores?.onnx;
    if (!Array.isArray(kase.ids) || !(typeof onnx === "number" || (Array.isArray(onnx) && onnx.every((v) => typeof v === "number")))) {
      throw new BundleError(`${where}: case ${JSON.stringify(kase.case)} lacks its ids or onnx score; re-export the bundle`);
    }
    cases.push(kase);
    if (cases.length === count) break;
  }
  return cases;
}

/** Refuse `classifier` unless its models reproduce the recorded scores of the probe cases. */
export async function checkBelongs(classifier) {
  if (classifier.bundle.manifest.files.conformance == null) {
    throw new BundleError(`${classifier.bundle.base}: the manifest lists no conformance.jsonl file, which a format-2 bundle `
      + "holds to prove its model files are its own; re-export the bundle, or restore its manifest");
  }
  const cases = await probeCases(classifier.bundle);
  if (cases.length === 0) return;
  const where = classifier.bundle.manifest.files.onnx.path;
  let got;
  try {
    const rows = cases.map((kase) => ({ ids: Int32Array.from(kase.ids), subwords: Int32Array.from(kase.subwords ?? []) }));
    got = await classifier.scoreRows(rows);
    if (classifier.oneSession != null && rows[0].ids.length >= classifier.oneMinSteps) {
      got.push(await classifier.scoreOne(rows[0]));
      cases.push(cases[0]);
    }
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${where} fails on this bundle's ids (${String(error?.message ?? error).split("\n")[0].slice(0, 200)}): `
      + "the model file is not this bundle's; re-export or re-copy the bundle");
  }
  const diffs = cases.map((kase, i) => scoreDiff(kase.scores.onnx, got[i]));
  const worst = diffs.indexOf(Math.max(...diffs));
  if (diffs[worst] <= SCORE_TOLERANCE) return;
  const found = `${where} scores conformance case ${cases[worst].case} ${shown(got[worst])}, the bundle recorded `
    + `${shown(cases[worst].scores.onnx)} (|diff| ${diffs[worst].toPrecision(2)}, tolerance ${SCORE_TOLERANCE})`;
  if (!(diffs[worst] <= RUNTIME_DRIFT)) throw new BundleError(`${found}: the model file is not this bundle's; re-export or re-copy the bundle`);
  throw new BundleError(`${found}: this onnxruntime computes different numbers than the exporter's `
    + `(onnxruntime ${classifier.bundle.manifest.versions?.onnxruntime ?? "unknown"} at export); use the Python runtime or re-export`);
}

/** The largest |recorded - computed| over a case's scores: a number (binary) or a list per label. */
export function scoreDiff(recorded, row) {
  const expected = typeof recorded === "number" ? [recorded] : recorded;
  if (expected.length !== row.length) return Infinity;
  return Math.max(...expected.map((value, k) => Math.abs(value - row[k])));
}

function shown(scores) {
  return typeof scores === "number" ? scores.toFixed(6) : `[${Array.from(scores, (v) => v.toFixed(6)).join(", ")}]`;
}
