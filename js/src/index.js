// edge-sentiment for JavaScript: load a bundle written by the Python training stage and score
// text in Node or a browser. See docs/javascript.md and docs/bundle-format.md.

export { SentimentClassifier } from "./classifier.js";
export { BundleError } from "./bundle.js";
export { Encoder } from "./encoding.js";
export { normalize, tokenize } from "./text.js";

/** @typedef {import("./classifier.js").Prediction} Prediction */
/** @typedef {import("./classifier.js").LoadOptions} LoadOptions */
