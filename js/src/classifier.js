// SentimentClassifier: a bundle's preprocessing and ONNX models, in Node (onnxruntime-node) or a
// browser (onnxruntime-web, WebAssembly). A prediction is {label, score, scores} (and, for a
// multilabel bundle, labels): binary score = P(labels[1]); otherwise the label's probability. One text goes to the one-text graph where the bundle
// has one (as the Python runtime does); many texts go to the batch graph, sorted by length so a
// call skips the padding its rows share.

import { defaultBundle, defaultRuntime, importRuntime } from "#platform";

import { Bundle, BundleError } from "./bundle.js";
import { Encoder } from "./encoding.js";
import { checkBelongs } from "./probe.js";

const BATCH_ROWS = 256;

/**
 * One text's result.
 * @typedef {object} Prediction
 * @property {string} label the predicted label
 * @property {number} score binary: P(labels[1]); otherwise the predicted label's probability
 * @property {Record<string, number>} scores every label's probability, highest first
 * @property {string[]} [labels] multilabel bundles: every label at or over its threshold, best first (at least the top one when the bundle's min_labels is 1)
 */

/**
 * @typedef {object} LoadOptions
 * @property {"node" | "web"} [runtime] onnxruntime-node (the default in Node) or onnxruntime-web (the default elsewhere)
 * @property {number} [threshold] a binary bundle's decision threshold (default 0.5), or every label's of a multilabel bundle
 */

export class SentimentClassifier {
  /**
   * Load the bundle at `pathOrUrl` (a folder in Node; a URL in the browser). Without one, in Node:
   * the model packed with the package (the shipped movie-review sentiment model).
   * @param {string | URL} [pathOrUrl]
   * @param {LoadOptions} [options]
   * @returns {Promise<SentimentClassifier>}
   */
  static async load(pathOrUrl, options = {}) {
    const runtime = options.runtime ?? defaultRuntime;
    if (runtime !== "node" && runtime !== "web") throw new TypeError(`runtime must be "node" or "web", got ${JSON.stringify(runtime)}`);
    const threshold = options.threshold ?? null;
    if (threshold != null && !(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be between 0 and 1, got ${threshold}`);
    const ort = await importRuntime(runtime);
    if (runtime === "web") ort.env.wasm.numThreads = 1; // threads need cross-origin isolation; one text is tiny anyway
    const bundle = await Bundle.open(pathOrUrl ?? defaultBundle());
    const vocab = await bundle.vocab();
    const sessionOptions = {
      ...(runtime === "node" ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : { executionProviders: ["wasm"] }),
      // Weights in external data files would escape the manifest's sha256: onnxruntime is pointed
      // at a folder that cannot exist (under a regular file), so a model that has any fails.
      extra: { session: { model_external_initializers_file_folder_path: `${bundle.base}/manifest.json/no-external-data` } },
    };
    const batch = await createSession(ort, await bundle.read("onnx"), sessionOptions, bundle.manifest.files.onnx.path);
    const single = bundle.manifest.model.single_text;
    const one = single ? await createSession(ort, await bundle.read(single.file), sessionOptions, single.file) : null;
    const classifier = new SentimentClassifier(ort, bundle, vocab, batch, one, threshold);
    await checkBelongs(classifier);
    return classifier;
  }

  constructor(ort, bundle, vocab, batch, one, threshold) {
    const { manifest } = bundle;
    this.ort = ort;
    this.bundle = bundle;
    this.manifest = manifest;
    this.labels = manifest.labels;
    this.task = manifest.task;
    this.outputs = manifest.outputs;
    this.threshold = threshold ?? 0.5;
    /** Multilabel: each label's decision threshold. */
    this.thresholds = manifest.task === "multilabel" ? manifest.labels.map((_, k) => threshold ?? manifest.thresholds[k]) : null;
    this.encoder = new Encoder(vocab, manifest.preprocessing);
    this.batchSession = batch;
    this.oneSession = one;
    this.oneMinSteps = manifest.model.single_text?.min_steps ?? Infinity;
    this.trims = manifest.model.input.onnx_trims_leading_padding === true;
    this.trimsSubwords = manifest.model.input.onnx_trims_subword_padding === true;
    this.inputName = manifest.model.input.name;
    this.subwordsName = manifest.model.single_text?.subwords_input?.name ?? null;
    this.outputName = manifest.model.output.name;
  }

  /**
   * The kept ids of `text` (before padding): what the model reads (with subwords, beside `subwordIds`).
   * @param {string} text
   * @returns {Int32Array}
   */
  encode(text) {
    return this.encoder.keptIds(checkedText(text));
  }

  /** The tokens of `text`, by the bundle's tokenizer (docs/bundle-format.md, section 3). */
  tokens(text) {
    return this.encoder.tokens(checkedText(text));
  }

  /** The kept subword ids of `text` (before padding); null for a bundle without subword features. */
  subwordIds(text) {
    return this.encoder.kept(checkedText(text)).subwords;
  }

  /**
   * Classify one text.
   * @param {string} text
   * @returns {Promise<Prediction>}
   */
  async predict(text) {
    const kept = this.encoder.kept(checkedText(text));
    if (this.oneSession != null && kept.ids.length >= this.oneMinSteps) return this.prediction(await this.scoreOne(kept));
    return this.prediction((await this.scoreRows([kept]))[0]);
  }

  /** The output row (one score per output) of one text's `Encoder.kept` result through the one-text graph. */
  async scoreOne(kept) {
    const feeds = { [this.inputName]: new this.ort.Tensor("int32", kept.ids, [kept.ids.length]) };
    if (this.subwordsName) feeds[this.subwordsName] = new this.ort.Tensor("int32", kept.subwords, [kept.subwords.length]);
    const output = await this.oneSession.run(feeds);
    return this.checkedRows(output[this.outputName], 1)[0];
  }

  /**
   * Classify many texts: one prediction per text, in order.
   * @param {string[]} texts
   * @returns {Promise<Prediction[]>}
   */
  async predictBatch(texts) {
    if (!Array.isArray(texts)) throw new TypeError("predictBatch takes an array of strings");
    const kept = texts.map((text) => this.encoder.kept(checkedText(text)));
    const order = kept.map((_, i) => i).sort((a, b) => kept[a].ids.length - kept[b].ids.length);
    const rows = new Array(texts.length);
    for (let start = 0; start < order.length; start += BATCH_ROWS) {
      const chosen = order.slice(start, start + BATCH_ROWS);
      const batchRows = await this.scoreRows(chosen.map((i) => kept[i]));
      chosen.forEach((i, k) => { rows[i] = batchRows[k]; });
    }
    return rows.map((row) => this.prediction(row));
  }

  /** Output rows (Float32Array of `outputs` scores each) of `Encoder.kept` results, through the batch graph. */
  async scoreRows(rows) {
    const { maxlen } = this.manifest.preprocessing;
    let ids = this.encoder.rows(rows);
    let width = this.encoder.width;
    if (this.trims) { // leading columns that are padding in every row: the graph starts from their state
      const longest = Math.max(1, ...rows.map((row) => row.ids.length));
      width = Math.min(maxlen, longest);
      if (width < maxlen) ids = trimmed(ids, rows.length, maxlen, width);
    } else if (this.trimsSubwords) { // leading subword columns that are padding in every row: the bag counts ids, not columns
      const slots = width - maxlen;
      const longest = Math.max(1, ...rows.map((row) => row.subwords.length));
      if (longest < slots) {
        ids = subwordsCut(ids, rows.length, maxlen, slots, longest);
        width = maxlen + longest;
      }
    }
    const feeds = { [this.inputName]: new this.ort.Tensor("int32", ids, [rows.length, width]) };
    const output = await this.batchSession.run(feeds);
    return this.checkedRows(output[this.outputName], rows.length);
  }

  /** The output tensor as `rows` rows of `outputs` probabilities; any other shape or value is an error. */
  checkedRows(tensor, rows) {
    const dims = Array.from(tensor.dims);
    if (dims.length !== 2 || dims[0] !== rows || dims[1] !== this.outputs) {
      throw new BundleError(`the model returned scores of shape [${dims}] for ${rows} texts; this bundle's model returns `
        + `[${rows}, ${this.outputs}]: the bundle is broken, re-export it`);
    }
    tensor.data.forEach(checkedScore);
    return Array.from({ length: rows }, (_, r) => tensor.data.slice(r * this.outputs, (r + 1) * this.outputs));
  }

  prediction(row) {
    if (this.task === "binary") {
      const score = row[0];
      const scores = Object.fromEntries([[this.labels[1], score], [this.labels[0], 1 - score]].sort((a, b) => b[1] - a[1]));
      return { label: score >= this.threshold ? this.labels[1] : this.labels[0], score, scores };
    }
    const ranked = this.labels.map((label, k) => [label, row[k], k]).sort((a, b) => b[1] - a[1]);
    const scores = Object.fromEntries(ranked.map(([label, score]) => [label, score]));
    if (this.task === "multiclass") return { label: ranked[0][0], score: ranked[0][1], scores };
    const labels = ranked.filter(([, score, k]) => score >= this.thresholds[k]).map(([label]) => label);
    // A bundle with min_labels 1 gives a text none of whose labels reaches its threshold its top label.
    if (labels.length === 0 && this.manifest.min_labels === 1) labels.push(ranked[0][0]);
    const label = labels[0] ?? ranked[0][0];
    return { label, score: scores[label], scores, labels };
  }
}

async function createSession(ort, bytes, options, name) {
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (error) {
    const message = String(error?.message ?? error);
    if (/external data/i.test(message)) {
      throw new BundleError(`${name} keeps weights in external data files, which a bundle may not (they are not `
        + "covered by the manifest's sha256); re-export the bundle");
    }
    throw new BundleError(`${name} could not be loaded by onnxruntime: ${message.split("\n")[0].slice(0, 200)}`);
  }
}

function trimmed(ids, rows, maxlen, width) {
  const out = new Int32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(ids.subarray(r * maxlen + maxlen - width, (r + 1) * maxlen), r * width);
  return out;
}

/** Rows of `maxlen` word ids and `slots` pre-padded subword ids, with only the last `kept` subword columns. */
function subwordsCut(ids, rows, maxlen, slots, kept) {
  const width = maxlen + slots;
  const out = new Int32Array(rows * (maxlen + kept));
  for (let r = 0; r < rows; r++) {
    out.set(ids.subarray(r * width, r * width + maxlen), r * (maxlen + kept));
    out.set(ids.subarray(r * width + width - kept, (r + 1) * width), r * (maxlen + kept) + maxlen);
  }
  return out;
}

function checkedText(text) {
  if (typeof text !== "string") throw new TypeError(`expected a string, got ${text === null ? "null" : typeof text}`);
  return text;
}

function checkedScore(score) {
  if (!(score >= 0 && score <= 1)) throw new BundleError(`the model returned the score ${score}, not a probability in [0, 1]: the bundle is broken`);
  return score;
}
