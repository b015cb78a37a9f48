// Reading a bundle: manifest.json, then the files it lists, each checked against its sha256
// where the platform can hash (docs/bundle-format.md, sections 1, 2 and 4.5).

const FORMAT_VERSION = 2;

export class BundleError extends Error {
  constructor(message) {
    super(message);
    this.name = "BundleError";
  }
}

const isNode = typeof process !== "undefined" && process.versions != null && process.versions.node != null;

/** Bytes of `name` inside the bundle at `base` (a folder path in Node, a URL in the browser). */
async function readBytes(base, name) {
  if (isNode && !/^https?:/.test(String(base))) {
    const { readFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { fileURLToPath } = await import("node:url");
    const folder = String(base).startsWith("file:") ? fileURLToPath(base) : String(base);
    try {
      return new Uint8Array(await readFile(join(folder, name)));
    } catch (error) {
      throw new BundleError(`${join(folder, name)} cannot be read (${error.code ?? error.message}); is ${folder} a bundle?`);
    }
  }
  const folder = String(base).endsWith("/") ? String(base) : `${base}/`;
  const url = new URL(name, new URL(folder, globalThis.location?.href)); // a relative base is the page's
  const response = await fetch(url);
  if (!response.ok) throw new BundleError(`${url} could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256Hex(bytes) {
  if (isNode) {
    const { createHash } = await import("node:crypto");
    return createHash("sha256").update(bytes).digest("hex");
  }
  if (globalThis.crypto?.subtle == null) return null; // not a secure context: cannot hash
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A bundle's manifest and a reader of the files it lists (verified bytes). */
export class Bundle {
  constructor(base, manifest) {
    this.base = base;
    this.manifest = manifest;
    /** Whether the last file read was checked against its sha256 (false where the platform cannot hash). */
    this.verified = true;
  }

  static async open(base) {
    const raw = await readBytes(base, "manifest.json");
    let manifest;
    try {
      manifest = JSON.parse(new TextDecoder().decode(raw));
    } catch (error) {
      throw new BundleError(`${base}/manifest.json is not valid JSON (${error.message}); re-export the bundle`);
    }
    if (manifest?.format_version !== FORMAT_VERSION) {
      throw new BundleError(`${base}: format_version ${JSON.stringify(manifest?.format_version)} is not ${FORMAT_VERSION}, `
        + "the one this runtime reads; upgrade it: python -m edge_sentiment_export.upgrade BUNDLE --data DATA");
    }
    return new Bundle(base, manifest);
  }

  /** The bytes of the file listed under `files[key]`, after checking size and sha256. */
  async read(key) {
    const entry = this.manifest.files?.[key];
    if (entry == null) throw new BundleError(`${this.base} has no '${key}' file; it lists: ${Object.keys(this.manifest.files ?? {}).join(", ")}`);
    const bytes = await readBytes(this.base, entry.path);
    if (entry.bytes != null && bytes.length !== entry.bytes) {
      throw new BundleError(`${entry.path} holds ${bytes.length} bytes, the manifest says ${entry.bytes}: re-copy the bundle`);
    }
    const digest = await sha256Hex(bytes);
    if (digest == null) this.verified = false;
    else if (digest !== entry.sha256) {
      throw new BundleError(`${entry.path} has sha256 ${digest.slice(0, 12)}…, the manifest says ${entry.sha256.slice(0, 12)}…: the file is corrupt or was replaced`);
    }
    return bytes;
  }

  async readJson(key) {
    return JSON.parse(new TextDecoder().decode(await this.read(key)));
  }
}
