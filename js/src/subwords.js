// Hashed character n-grams of the kept words, exactly as edge_sentiment/subwords.py
// (docs/bundle-format.md, "Subwords"): each token marked "<token>", its n-grams of min_n to max_n
// code points by start position then length, each hashed with FNV-1a (32 bit) over its UTF-8
// bytes into 1 + hash mod buckets; a text keeps `slots` of them (the last ones for truncating "pre").

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();
const CACHE_LIMIT = 200000;

/** FNV-1a 32-bit of a string's UTF-8 bytes (a token never holds a lone surrogate: they separate tokens). */
export function fnv1a32(text) {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(text)) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/** The number of n-grams of a token of `length` code points. */
export function countNgrams(length, minN, maxN) {
  let count = 0;
  for (let n = minN; n <= maxN; n++) count += n > 1 ? Math.max(length + 2 - n + 1, 0) : length;
  return count;
}

/** The n-grams of `marked` (an array of code points) starting at positions from..to-1; a mark alone is no n-gram. */
function ngrams(marked, from, to, minN, maxN) {
  const out = [];
  for (let i = from; i < to; i++) {
    for (let n = minN; n <= Math.min(maxN, marked.length - i); n++) {
      if (n > 1 || (i > 0 && i < marked.length - 1)) out.push(marked.slice(i, i + n).join(""));
    }
  }
  return out;
}

export class SubwordEncoder {
  /** @param {{min_n: number, max_n: number, buckets: number, slots: number}} config */
  constructor(config, fromEnd) {
    this.config = config;
    this.fromEnd = fromEnd;
    this.cache = new Map();
  }

  bucket(gram) {
    return 1 + (fnv1a32(gram) % this.config.buckets);
  }

  /** The subword ids of the kept tokens that survive truncation to `slots` (an Int32Array). */
  kept(tokens) {
    const { slots, min_n: minN, max_n: maxN } = this.config;
    const order = this.fromEnd ? [...tokens].reverse() : tokens;
    const chosen = [];
    let room = slots;
    for (const token of order) {
      if (room <= 0) break;
      const count = countNgrams([...token].length, minN, maxN);
      if (count > room) {
        chosen.push(this.part(token, room));
        break;
      }
      chosen.push(this.ids(token));
      room -= count;
    }
    if (this.fromEnd) chosen.reverse();
    const out = new Int32Array(chosen.reduce((n, ids) => n + ids.length, 0));
    let at = 0;
    for (const ids of chosen) {
      out.set(ids, at);
      at += ids.length;
    }
    return out;
  }

  ids(token) {
    let ids = this.cache.get(token);
    if (ids === undefined) {
      const marked = ["<", ...token, ">"];
      ids = Int32Array.from(ngrams(marked, 0, marked.length, this.config.min_n, this.config.max_n), (g) => this.bucket(g));
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(token, ids);
    }
    return ids;
  }

  /** The last (or first) `room` n-gram ids of a token that has more. */
  part(token, room) {
    const { min_n: minN, max_n: maxN } = this.config;
    const marked = ["<", ...token, ">"];
    const span = room + maxN;
    if (this.fromEnd) {
      const grams = ngrams(marked, Math.max(marked.length - span, 0), marked.length, minN, maxN);
      return Int32Array.from(grams.slice(grams.length - room), (g) => this.bucket(g));
    }
    const grams = ngrams(marked, 0, Math.min(span, marked.length), minN, maxN);
    return Int32Array.from(grams.slice(0, room), (g) => this.bucket(g));
  }
}
