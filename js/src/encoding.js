// Tokens -> ids, exactly as edge_sentiment/encoding.py (docs/bundle-format.md, section 3, steps 6-8).

import { tokenize } from "./text.js";

export const START_ID = 1;
export const OOV_ID = 2;
const LAST_SPECIAL_ID = OOV_ID;

export class Encoder {
  /**
   * @param {Record<string, number>} vocab word -> id
   * @param {{maxlen: number, num_words: number, skip_top: number, padding: string, truncating: string, drop_special: boolean}} config
   */
  constructor(vocab, config) {
    this.config = config;
    /** @type {Map<string, number>} only the ids the model reads: skip_top <= id < num_words */
    this.ids = new Map();
    for (const [word, id] of Object.entries(vocab)) {
      if (config.skip_top <= id && id < config.num_words) this.ids.set(word, id);
    }
  }

  /** The kept ids of one text: start id and one id per token, special ids dropped if asked, truncated. */
  keptIds(text) {
    const { maxlen, truncating, drop_special } = this.config;
    let ids = [START_ID];
    for (const token of tokenize(text)) ids.push(this.ids.get(token) ?? OOV_ID);
    if (drop_special) ids = ids.filter((id) => id > LAST_SPECIAL_ID);
    if (ids.length > maxlen) ids = truncating === "pre" ? ids.slice(ids.length - maxlen) : ids.slice(0, maxlen);
    return Int32Array.from(ids);
  }

  /** Rows of kept ids padded to maxlen with the pad id 0 (a new Int32Array's fill), as one [rows * maxlen] array. */
  pad(rows) {
    const { maxlen, padding } = this.config;
    const out = new Int32Array(rows.length * maxlen);
    rows.forEach((kept, r) => out.set(kept, r * maxlen + (padding === "pre" ? maxlen - kept.length : 0)));
    return out;
  }
}
