// The load-time checks of manifest.json and vocab.json that this runtime relies on
// (docs/bundle-format.md, sections 1, 2 and 4.5), naming the field as the Python runtime does.
// tests/fixtures/bad-bundles.json lists bundles both runtimes must refuse.

import { BundleError } from "./errors.js";

/** The format versions this runtime reads (2: two labels; 3 adds `task`, and N labels for other tasks). */
export const FORMAT_VERSIONS = [2, 3];
const TASKS = ["binary", "multiclass", "multilabel"];
export const TOKENIZER = "edge-sentiment-v1";
/** The tokenizer that makes each symbol a token too (docs/bundle-format.md, section 3, step 5). */
export const SYMBOLS_TOKENIZER = "edge-sentiment-v2";
export const ID_LAYOUT = { pad_id: 0, start_id: 1, oov_id: 2, first_word_id: 3 };
const MAX_MAXLEN = 100_000;
const MAX_VOCAB = 10_000_000;
const MAX_LABELS = 10_000;
const PADDING_MODES = ["pre", "post"];
const SHA256 = /^[0-9a-f]{64}$/;

const show = (value) => (value === undefined ? "nothing" : JSON.stringify(value)?.slice(0, 60) ?? String(value));
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function object(value, where) {
  if (!isObject(value)) throw new BundleError(`${where} must be a JSON object, got ${show(value)}`);
  return value;
}

function integer(d, key, where, low, high) {
  const value = d[key];
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new BundleError(`${where}.${key} must be an integer from ${low} to ${high}, got ${show(value)}`);
  }
  return value;
}

function choice(d, key, choices, where) {
  if (!choices.includes(d[key])) throw new BundleError(`${where}.${key} must be one of ${choices.join(", ")}; got ${show(d[key])}`);
  return d[key];
}

function string(d, key, where) {
  if (typeof d[key] !== "string" || d[key] === "") throw new BundleError(`${where}.${key} must be a non-empty string, got ${show(d[key])}`);
  return d[key];
}

function boolean(d, key, where) {
  if (typeof d[key] !== "boolean") throw new BundleError(`${where}.${key} must be true or false, got ${show(d[key])}`);
  return d[key];
}

/** A path listed in `files`: relative, inside the bundle, no parent steps, no scheme or host. */
export function checkedPath(path, where) {
  if (typeof path !== "string" || path === "") throw new BundleError(`${where}.path must be a non-empty string, got ${show(path)}`);
  const parts = path.split("/");
  if (path.startsWith("/") || path.includes("\\") || path.includes(":") || path.includes("?") || path.includes("#")
      || parts.some((part) => part === ".." || part === "." || part === "")) {
    throw new BundleError(`${where}.path ${show(path)} points outside the bundle; a bundle lists files inside its folder`);
  }
  return path;
}

/** The manifest, checked; throws a BundleError naming the first field that is wrong. */
export function checkManifest(raw) {
  const given = object(raw, "the manifest");
  if (!FORMAT_VERSIONS.includes(given.format_version)) {
    throw new BundleError(`format_version ${show(given.format_version)} is unknown; this runtime reads format_version `
      + `${FORMAT_VERSIONS.join(", ")}: upgrade it with python -m edge_sentiment_export.upgrade BUNDLE --data DATA`);
  }
  const d = renamedFromV2(given);
  const task = d.format_version === 2 ? "binary" : choice(d, "task", TASKS, "the manifest");
  const labels = d.labels;
  const names = Array.isArray(labels) && labels.every((l) => typeof l === "string" && l !== "") && new Set(labels).size === labels.length;
  if (task === "binary" && !(names && labels.length === 2)) {
    throw new BundleError(`labels must be two different names [negative, positive], got ${show(labels)}`);
  }
  const fewest = task === "multiclass" ? 3 : 2;
  if (task !== "binary" && !(names && labels.length >= fewest && labels.length <= MAX_LABELS)) {
    throw new BundleError(`labels of a ${task} bundle must be ${fewest} to ${MAX_LABELS} different names, in output order; got ${show(labels)}`);
  }
  const outputs = task === "binary" ? 1 : labels.length;
  if (task === "multilabel") {
    const t = d.thresholds;
    if (!Array.isArray(t) || t.length !== labels.length || !t.every((v) => typeof v === "number" && v > 0 && v < 1)) {
      throw new BundleError(`thresholds of a multilabel bundle must be ${labels.length} numbers between 0 and 1 (one per label), got ${show(t)}`);
    }
  } else if (d.thresholds != null) {
    throw new BundleError(`thresholds are for multilabel bundles; this one is ${task}`);
  }
  const minLabels = d.min_labels ?? 0;
  if (d.min_labels != null && task !== "multilabel") {
    throw new BundleError(`min_labels is for multilabel bundles; this one is ${task}`);
  }
  if (minLabels !== 0 && minLabels !== 1) {
    throw new BundleError(`min_labels of a multilabel bundle must be 0 or 1; got ${show(d.min_labels)}`);
  }
  const pre = object(d.preprocessing, "preprocessing");
  choice(pre, "tokenizer", [TOKENIZER, SYMBOLS_TOKENIZER], "preprocessing");
  for (const [name, value] of Object.entries(ID_LAYOUT)) {
    if (pre[name] !== value) throw new BundleError(`preprocessing: the id layout must be ${show(ID_LAYOUT)}; ${name} is ${show(pre[name])}`);
  }
  const maxlen = integer(pre, "maxlen", "preprocessing", 1, MAX_MAXLEN);
  const numWords = integer(pre, "num_words", "preprocessing", ID_LAYOUT.first_word_id + 1, MAX_VOCAB);
  const skipTop = integer(pre, "skip_top", "preprocessing", 0, MAX_VOCAB);
  choice(pre, "padding", PADDING_MODES, "preprocessing");
  choice(pre, "truncating", PADDING_MODES, "preprocessing");
  boolean(pre, "drop_special", "preprocessing");
  if (skipTop >= numWords) throw new BundleError(`preprocessing.skip_top (${skipTop}) must be below num_words (${numWords})`);
  let width = maxlen;
  if (pre.subwords != null) {
    const sub = object(pre.subwords, "preprocessing.subwords");
    choice(sub, "hash", ["fnv1a32"], "preprocessing.subwords");
    if (show(sub.marks) !== show(["<", ">"])) throw new BundleError(`preprocessing.subwords.marks must be ["<",">"], got ${show(sub.marks)}`);
    const minN = integer(sub, "min_n", "preprocessing.subwords", 1, 8);
    integer(sub, "max_n", "preprocessing.subwords", minN, 8);
    integer(sub, "buckets", "preprocessing.subwords", 1, 2 ** 22);
    width += integer(sub, "slots", "preprocessing.subwords", 1, MAX_MAXLEN);
    if (pre.drop_special) throw new BundleError("preprocessing: subwords need drop_special false");
  }

  const model = object(d.model, "model");
  const input = object(model.input, "model.input");
  string(input, "name", "model.input");
  boolean(input, "onnx_trims_leading_padding", "model.input");
  if (input.onnx_trims_subword_padding !== undefined) boolean(input, "onnx_trims_subword_padding", "model.input"); // (whole rows are always valid)
  if (!Array.isArray(input.shape) || input.shape.length !== 2 || input.shape[0] !== null || input.shape[1] !== width) {
    throw new BundleError(`model.input.shape must be [null, ${width}], got ${show(input.shape)}`);
  }
  const output = object(model.output, "model.output");
  string(output, "name", "model.output");
  if (d.format_version >= 3 && (!Array.isArray(output.shape) || output.shape.length !== 2 || output.shape[0] !== null || output.shape[1] !== outputs)) {
    throw new BundleError(`model.output.shape must be [null, ${outputs}], got ${show(output.shape)}`);
  }
  const vocabSize = integer(model, "vocab_size", "model", ID_LAYOUT.first_word_id + 1, MAX_VOCAB);
  if (numWords > vocabSize) {
    throw new BundleError(`preprocessing.num_words ${numWords} exceeds the model's embedding table (model.vocab_size ${vocabSize} rows)`);
  }
  const files = object(d.files, "files");
  for (const [key, entry] of Object.entries(files)) {
    const where = `files.${key}`;
    object(entry, where);
    checkedPath(entry.path, where);
    if (typeof entry.sha256 !== "string" || !SHA256.test(entry.sha256)) {
      throw new BundleError(`${where}.sha256 must be 64 lowercase hex digits, got ${show(entry.sha256)}`);
    }
    if (entry.bytes != null) integer(entry, "bytes", where, 0, 2 ** 40);
  }
  for (const key of ["vocab", "onnx"]) {
    if (files[key] == null) throw new BundleError(`files lacks the '${key}' entry this runtime reads`);
  }
  if (model.single_text != null) {
    const single = object(model.single_text, "model.single_text");
    if (!(single.file in files)) throw new BundleError(`model.single_text.file ${show(single.file)} is not a key of files`);
    integer(single, "min_steps", "model.single_text", 1, maxlen);
    if (pre.subwords != null) string(object(single.subwords_input, "model.single_text.subwords_input"), "name", "model.single_text.subwords_input");
  }
  return { ...d, task, outputs, min_labels: minLabels };
}

/** A format-2 manifest with format 3's name for the one-text graph (format 2 called it single_review). */
function renamedFromV2(d) {
  if (d.format_version !== 2 || !isObject(d.model) || d.model.single_review == null) return d;
  const { single_review: single, ...model } = d.model;
  return { ...d, model: { ...model, single_text: single } };
}

/** vocab.json: words to integer ids from first_word_id up to (not including) vocab_size. */
export function checkVocab(vocab, manifest, where) {
  if (!isObject(vocab)) throw new BundleError(`${where} must map words to integer ids, got ${Array.isArray(vocab) ? "an array" : show(vocab)}`);
  const size = manifest.model.vocab_size;
  for (const [word, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id)) throw new BundleError(`${where} must map words to integer ids; ${show(word)} maps to ${show(id)}`);
    if (id < ID_LAYOUT.first_word_id || id >= size) {
      throw new BundleError(`${where}: ${show(word)} has id ${id}, outside ${ID_LAYOUT.first_word_id}..${size - 1} (model.vocab_size ${size})`);
    }
  }
  return vocab;
}
