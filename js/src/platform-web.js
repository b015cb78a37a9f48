// What differs in a browser (the package's "#platform" import, any condition but "node"): files
// are fetched; SHA-256 is a pure-JavaScript one (crypto.subtle is missing outside secure contexts,
// e.g. plain http from a LAN address); onnxruntime-web's WebAssembly build runs the models.

import { sha256 } from "@noble/hashes/sha2.js";

import { BundleError } from "./errors.js";

export const defaultRuntime = "web";

export function isLocal() {
  return false;
}

export async function readLocal() {
  throw new BundleError("a browser reads bundles over HTTP: pass the bundle's URL");
}

/** @param {Uint8Array} bytes @returns {Promise<string>} */
export async function sha256Hex(bytes) {
  return Array.from(sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** onnxruntime-web's WebAssembly build (the "web" runtime; "node" exists only in Node). */
export async function importRuntime(runtime) {
  if (runtime !== "web") throw new TypeError(`the '${runtime}' runtime runs only in Node; in a browser use "web"`);
  let ort;
  try {
    ort = await import("onnxruntime-web/wasm");
  } catch (error) {
    throw new Error(`the 'web' runtime needs onnxruntime-web, an optional peer dependency: npm install onnxruntime-web (${error.message})`);
  }
  return ort;
}

/** @returns {string} */
export function defaultBundle() {
  throw new BundleError("in a browser, SentimentClassifier.load needs the URL where a bundle is served "
    + "(the npm package's model/ folder, served with your site, is one)");
}
