// Tokens -> ids, exactly as edge_sentiment/encoding.py (docs/bundle-format.md, section 3, steps 6-8).

import { SYMBOLS_TOKENIZER } from "./manifest.js";
import { SubwordEncoder } from "./subwords.js";
import { tokenize } from "./text.js";

export const START_ID = 1;
export const OOV_ID = 2;
const LAST_SPECIAL_ID = OOV_ID;

export class Encoder {
  /**
   * @param {Record<string, number>} vocab word -> id
   * @param {{tokenizer?: string, maxlen: number, num_words: number, skip_top: number, padding: string, truncating: string,
   *   drop_special: boolean, subwords?: {min_n: number, max_n: number, buckets: number, slots: number}}} config
   */
  constructor(vocab, config) {
    this.config = config;
    /** Whether each symbol is a token too (tokenizer v2). */
    this.symbols = config.tokenizer === SYMBOLS_TOKENIZER;
    /** Subword ids of the kept words (null: the bundle has no subword features). */
    this.subwords = config.subwords ? new SubwordEncoder(config.subwords, config.truncating === "pre") : null;
    /** Columns of an input row: maxlen word ids, then the subword slots. */
    this.width = config.maxlen + (config.subwords ? config.subwords.slots : 0);
    /** @type {Map<string, number>} only the ids the model reads: skip_top <= id < num_words */
    this.ids = new Map();
    for (const [word, id] of Object.entries(vocab)) {
      if (config.skip_top <= id && id < config.num_words) this.ids.set(word, id);
    }
  }

  /** The text's tokens, by the bundle's tokenizer. */
  tokens(text) {
    return tokenize(text, this.symbols);
  }

  /** The kept ids of one text: start id and one id per token, special ids dropped if asked, truncated. */
  keptIds(text) {
    const { maxlen, truncating, drop_special } = this.config;
    let ids = [START_ID];
    for (const token of this.tokens(text)) ids.push(this.ids.get(token) ?? OOV_ID);
    if (drop_special) ids = ids.filter((id) => id > LAST_SPECIAL_ID);
    if (ids.length > maxlen) ids = truncating === "pre" ? ids.slice(ids.length - maxlen) : ids.slice(0, maxlen);
    return Int32Array.from(ids);
  }

  /** One text's kept ids and (with subwords) kept subword ids: `{ids, subwords}` (subwords null without). */
  kept(text) {
    if (this.subwords === null) return { ids: this.keptIds(text), subwords: null };
    const { maxlen, truncating } = this.config;
    let tokens = this.tokens(text);
    let start = true;
    if (1 + tokens.length > maxlen) {
      if (truncating === "pre") [tokens, start] = [tokens.slice(tokens.length - maxlen), false];
      else tokens = tokens.slice(0, maxlen - 1);
    }
    const ids = tokens.map((token) => this.ids.get(token) ?? OOV_ID);
    return { ids: Int32Array.from(start ? [START_ID, ...ids] : ids), subwords: this.subwords.kept(tokens) };
  }

  /** Rows of `kept` results as one [rows * width] array: word ids padded to maxlen, then subword ids padded to the slots. */
  rows(kept) {
    const words = this.pad(kept.map((k) => k.ids));
    if (this.subwords === null) return words;
    const { maxlen, padding, subwords: { slots } } = this.config;
    const out = new Int32Array(kept.length * this.width);
    kept.forEach((k, r) => {
      out.set(words.subarray(r * maxlen, (r + 1) * maxlen), r * this.width);
      out.set(k.subwords, r * this.width + maxlen + (padding === "pre" ? slots - k.subwords.length : 0));
    });
    return out;
  }

  /** Rows of kept ids padded to maxlen with the pad id 0 (a new Int32Array's fill), as one [rows * maxlen] array. */
  pad(rows) {
    const { maxlen, padding } = this.config;
    const out = new Int32Array(rows.length * maxlen);
    rows.forEach((kept, r) => out.set(kept, r * maxlen + (padding === "pre" ? maxlen - kept.length : 0)));
    return out;
  }
}
