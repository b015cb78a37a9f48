export { SentimentClassifier } from "./classifier.js";
export { BundleError } from "./bundle.js";
export { Encoder } from "./encoding.js";
export { normalize, tokenize } from "./text.js";
export type Prediction = import("./classifier.js").Prediction;
export type LoadOptions = import("./classifier.js").LoadOptions;
/** @typedef {import("./classifier.js").Prediction} Prediction */
/** @typedef {import("./classifier.js").LoadOptions} LoadOptions */
