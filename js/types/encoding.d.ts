import { SubwordEncoder } from "./subwords.js";
export declare const START_ID = 1;
export declare const OOV_ID = 2;
export declare class Encoder {
    config: {
        tokenizer?: string;
        maxlen: number;
        num_words: number;
        skip_top: number;
        padding: string;
        truncating: string;
        drop_special: boolean;
        subwords?: {
            min_n: number;
            max_n: number;
            buckets: number;
            slots: number;
        };
    };
    /** Whether each symbol is a token too (tokenizer v2). */
    symbols: boolean;
    /** Subword ids of the kept words (null: the bundle has no subword features). */
    subwords: SubwordEncoder | null;
    /** Columns of an input row: maxlen word ids, then the subword slots. */
    width: number;
    /** @type {Map<string, number>} only the ids the model reads: skip_top <= id < num_words */
    ids: Map<string, number>;
    /**
     * @param {Record<string, number>} vocab word -> id
     * @param {{tokenizer?: string, maxlen: number, num_words: number, skip_top: number, padding: string, truncating: string,
     *   drop_special: boolean, subwords?: {min_n: number, max_n: number, buckets: number, slots: number}}} config
     */
    constructor(vocab: Record<string, number>, config: {
        tokenizer?: string;
        maxlen: number;
        num_words: number;
        skip_top: number;
        padding: string;
        truncating: string;
        drop_special: boolean;
        subwords?: {
            min_n: number;
            max_n: number;
            buckets: number;
            slots: number;
        };
    });
    /** The text's tokens, by the bundle's tokenizer. */
    tokens(text: any): any;
    /** The kept ids of one text: start id and one id per token, special ids dropped if asked, truncated. */
    keptIds(text: any): Int32Array<ArrayBuffer>;
    /** One text's kept ids and (with subwords) kept subword ids: `{ids, subwords}` (subwords null without). */
    kept(text: any): {
        ids: Int32Array<ArrayBuffer>;
        subwords: null;
    } | {
        ids: Int32Array<ArrayBuffer>;
        subwords: Int32Array<any>;
    };
    /** Rows of `kept` results as one [rows * width] array: word ids padded to maxlen, then subword ids padded to the slots. */
    rows(kept: any): Int32Array<ArrayBuffer>;
    /** Rows of kept ids padded to maxlen with the pad id 0 (a new Int32Array's fill), as one [rows * maxlen] array. */
    pad(rows: any): Int32Array<ArrayBuffer>;
}
