// Reading a bundle: manifest.json, then the files it lists, each read once, confined to the
// bundle, checked against its size and sha256, and handed on as those same bytes
// (docs/bundle-format.md, sections 1, 2 and 4.5).

import { isLocal, readLocal, sha256Hex } from "#platform";

import { BundleError } from "./errors.js";
import { checkManifest, checkVocab, checkedPath } from "./manifest.js";

export { BundleError };

/** The largest manifest.json read (a bundle's are a few kB). */
const MAX_MANIFEST_BYTES = 1 << 20;

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
  return isLocal(base) ? readLocal(base, name, limit) : fetchFile(base, name, limit);
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
