/** The text the tokenizer reads: NFKC, `<br />` as a space, lowercase, one apostrophe. */
export declare function normalize(text: any): any;
/** The text's tokens, in order. */
export declare function tokenize(text: any): any;
