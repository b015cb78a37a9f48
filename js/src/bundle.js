// Reading a bundle: manifest.json, then the files it lists, each read once, confined to the
// bundle, checked against its size and sha256, and handed on as those same bytes
// (docs/bundle-format.md, sections 1, 2 and 4.5).

import { sha256 } from "@noble/hashes/sha2.js";

import { BundleError } from "./errors.js";
import { checkManifest, checkVocab, checkedPath } from "./manifest.js";

export { BundleError };

const isNode = typeof process !== "undefined" && process.versions != null && process.versions.node != null;
/** The largest manifest.json read (a bundle's are a few kB). */
const MAX_MANIFEST_BYTES = 1 << 20;

/** Bytes of the regular file `name` inside the folder `base` (Node): never outside it, never a FIFO. */
async function readNodeFile(base, name, limit) {
  const { open, realpath } = await import("node:fs/promises");
  const { constants } = await import("node:fs");
  const { join, sep } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
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

/** Bytes of `name` under the URL `base` (browsers, or http(s) in Node): only under that URL. */
async function fetchFile(base, name, limit) {
  const folder = String(base).endsWith("/") ? String(base) : `${base}/`;
  const root = new URL(folder, globalThis.location?.href); // a relative base is the page's
  const url = new URL(name, root);
  if (!url.href.startsWith(root.href)) throw new BundleError(`${url} is outside the bundle ${root}`);
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new BundleError(`${url} could not be fetched (${error.name}); is the bundle served there?`);
  }
  if (!response.ok) throw new BundleError(`${url} could not be fetched (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > limit) throw new BundleError(`${url} holds ${bytes.length} bytes, more than the ${limit} expected`);
  return bytes;
}

function readBytes(base, name, limit) {
  return isNode && !/^https?:/.test(String(base)) ? readNodeFile(base, name, limit) : fetchFile(base, name, limit);
}

async function sha256Hex(bytes) {
  if (isNode) {
    const { createHash } = await import("node:crypto");
    return createHash("sha256").update(bytes).digest("hex");
  }
  // A pure-JS hash: crypto.subtle is missing outside secure contexts (plain http from a LAN address).
  return Array.from(sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseJson(bytes, where) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BundleError(`${where} is not UTF-8; re-export the bundle`);
  }
  try {
    return JSON.parse(text);
  } catch {
    // (the engine's message quotes the file's content: never shown)
    throw new BundleError(`${where} is not valid JSON; re-export the bundle`);
  }
}

/** A bundle's checked manifest and a reader of the files it lists (verified bytes). */
export class Bundle {
  constructor(base, manifest) {
    this.base = base;
    this.manifest = manifest;
  }

  static async open(base) {
    const where = `${base}/manifest.json`;
    const manifest = parseJson(await readBytes(base, "manifest.json", MAX_MANIFEST_BYTES), where);
    try {
      return new Bundle(base, checkManifest(manifest));
    } catch (error) {
      if (error instanceof BundleError) error.message = `${where}: ${error.message}`;
      throw error;
    }
  }

  /** The bytes of the file listed under `files[key]`, after checking its size and sha256. */
  async read(key) {
    const entry = this.manifest.files[key];
    if (entry == null) throw new BundleError(`${this.base} has no '${key}' file; it lists: ${Object.keys(this.manifest.files).join(", ")}`);
    const path = checkedPath(entry.path, `files.${key}`);
    const bytes = await readBytes(this.base, path, entry.bytes ?? 2 ** 40);
    if (entry.bytes != null && bytes.length !== entry.bytes) {
      throw new BundleError(`${path} holds ${bytes.length} bytes, the manifest says ${entry.bytes}: re-copy the bundle`);
    }
    const digest = await sha256Hex(bytes);
    if (digest !== entry.sha256) {
      throw new BundleError(`${path} has sha256 ${digest.slice(0, 12)}…, the manifest says ${entry.sha256.slice(0, 12)}…: the file is corrupt or was replaced`);
    }
    return bytes;
  }

  async readJson(key) {
    return parseJson(await this.read(key), this.manifest.files[key].path);
  }

  /** vocab.json, checked against the manifest. */
  async vocab() {
    return checkVocab(await this.readJson("vocab"), this.manifest, this.manifest.files.vocab.path);
  }
}
