// What differs in Node (chosen by the package's "#platform" import, condition "node"): files are
// read from disk, confined to the bundle's folder; SHA-256 is node:crypto's; onnxruntime-node runs
// the models (or onnxruntime-web when asked); load() without a bundle takes the packed model.

import { constants, existsSync } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { BundleError } from "./errors.js";

/** The runtime used unless `load` is told otherwise. */
export const defaultRuntime = "node";

/** Whether `base` names a local folder (else it is fetched: http(s) URLs). */
export function isLocal(base) {
  return !/^https?:/.test(String(base));
}

/**
 * Bytes of the regular file `name` inside the folder `base`: never outside it, never a FIFO.
 * @param {string | URL} base
 * @param {string} name
 * @param {number} limit
 * @returns {Promise<Uint8Array>}
 */
export async function readLocal(base, name, limit) {
  const folder = String(base).startsWith("file:") ? fileURLToPath(base) : String(base);
  const path = join(folder, name);
  let handle;
  try {
    const [root, real] = await Promise.all([realpath(folder), realpath(path)]);
    if (!real.startsWith(root + sep)) throw new BundleError(`${path} leads outside the bundle ${folder}; a bundle's files are inside its folder`);
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) throw new BundleError(`${path} is not a regular file; a bundle holds only regular files`);
    if (info.size > limit) throw new BundleError(`${path} holds ${info.size} bytes, more than the ${limit} expected; re-copy the bundle`);
    return new Uint8Array(await handle.readFile());
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${path} cannot be read (${error.code ?? "error"}); is ${folder} a whole bundle?`);
  } finally {
    await handle?.close();
  }
}

/** @param {Uint8Array} bytes @returns {Promise<string>} */
export async function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The onnxruntime module for `runtime` ("node" or "web"), imported only when chosen. */
export async function importRuntime(runtime) {
  const name = runtime === "node" ? "onnxruntime-node" : "onnxruntime-web";
  try {
    return runtime === "node" ? await import("onnxruntime-node") : await import("onnxruntime-web");
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error(`the '${runtime}' runtime needs ${name}, an optional peer dependency: npm install ${name}`);
  }
}

/**
 * The bundle `load()` takes when given none: the model packed with the npm package (its `model/`
 * folder), or, in a checkout of the repository, the shipped bundle it is packed from.
 * @returns {string}
 */
export function defaultBundle() {
  for (const candidate of ["../model/", "../../artifacts/default/"]) {
    const folder = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(folder, "manifest.json"))) return folder;
  }
  throw new BundleError("this copy of edge-sentiment has no packed model (model/ is added by `npm pack`); "
    + "pass a bundle folder to SentimentClassifier.load");
}
