import { Encoder } from "./encoding.js";
export type Prediction = {
    /**
     * the predicted label
     */
    label: string;
    /**
     * binary: P(labels[1]); otherwise the predicted label's probability
     */
    score: number;
    /**
     * every label's probability, highest first
     */
    scores: Record<string, number>;
    /**
     * multilabel bundles: every label at or over its threshold, best first (at least the top one when the bundle's min_labels is 1)
     */
    labels?: string[];
};
export type LoadOptions = {
    /**
     * onnxruntime-node (the default in Node) or onnxruntime-web (the default elsewhere)
     */
    runtime?: "node" | "web";
    /**
     * a binary bundle's decision threshold (default 0.5), or every label's of a multilabel bundle
     */
    threshold?: number;
};
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
export declare class SentimentClassifier {
    ort: any;
    bundle: any;
    manifest: any;
    labels: any;
    task: any;
    outputs: any;
    threshold: any;
    /** Multilabel: each label's decision threshold. */
    thresholds: any;
    encoder: Encoder;
    batchSession: any;
    oneSession: any;
    oneMinSteps: any;
    trims: boolean;
    trimsSubwords: boolean;
    inputName: any;
    subwordsName: any;
    outputName: any;
    /**
     * Load the bundle at `pathOrUrl` (a folder in Node; a URL in the browser). Without one, in Node:
     * the model packed with the package (the shipped movie-review sentiment model).
     * @param {string | URL} [pathOrUrl]
     * @param {LoadOptions} [options]
     * @returns {Promise<SentimentClassifier>}
     */
    static load(pathOrUrl?: string | URL, options?: LoadOptions): Promise<SentimentClassifier>;
    constructor(ort: any, bundle: any, vocab: any, batch: any, one: any, threshold: any);
    /**
     * The kept ids of `text` (before padding): what the model reads (with subwords, beside `subwordIds`).
     * @param {string} text
     * @returns {Int32Array}
     */
    encode(text: string): Int32Array;
    /** The tokens of `text`, by the bundle's tokenizer (docs/bundle-format.md, section 3). */
    tokens(text: any): any;
    /** The kept subword ids of `text` (before padding); null for a bundle without subword features. */
    subwordIds(text: any): Int32Array<any> | null;
    /**
     * Classify one text.
     * @param {string} text
     * @returns {Promise<Prediction>}
     */
    predict(text: string): Promise<Prediction>;
    /** The output row (one score per output) of one text's `Encoder.kept` result through the one-text graph. */
    scoreOne(kept: any): Promise<any>;
    /**
     * Classify many texts: one prediction per text, in order.
     * @param {string[]} texts
     * @returns {Promise<Prediction[]>}
     */
    predictBatch(texts: string[]): Promise<Prediction[]>;
    /** Output rows (Float32Array of `outputs` scores each) of `Encoder.kept` results, through the batch graph. */
    scoreRows(rows: any): Promise<any[]>;
    /** The output tensor as `rows` rows of `outputs` probabilities; any other shape or value is an error. */
    checkedRows(tensor: any, rows: any): any[];
    prediction(row: any): {
        label: any;
        score: any;
        scores: any;
        labels?: undefined;
    } | {
        label: any;
        score: any;
        scores: {
            [k: string]: any;
        };
        labels: any;
    };
}
