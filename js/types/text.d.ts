/**
 * The text the tokenizer reads: NFKC, `<br />` as a space, lowercase, one apostrophe (and with
 * `symbols`, tokenizer v2, no presentation selectors).
 */
export declare function normalize(text: any, symbols?: boolean): any;
/** The text's tokens, in order: words, and with `symbols` (tokenizer "edge-sentiment-v2") each symbol too. */
export declare function tokenize(text: any, symbols?: boolean): any;
