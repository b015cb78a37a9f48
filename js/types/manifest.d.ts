/** The format versions this runtime reads (2: two labels; 3 adds `task`, and N labels for other tasks). */
export declare const FORMAT_VERSIONS: number[];
export declare const TOKENIZER = "edge-sentiment-v1";
/** The tokenizer that makes each symbol a token too (docs/bundle-format.md, section 3, step 5). */
export declare const SYMBOLS_TOKENIZER = "edge-sentiment-v2";
export declare const ID_LAYOUT: {
    pad_id: number;
    start_id: number;
    oov_id: number;
    first_word_id: number;
};
/** A path listed in `files`: relative, inside the bundle, no parent steps, no scheme or host. */
export declare function checkedPath(path: any, where: any): string;
/** The manifest, checked; throws a BundleError naming the first field that is wrong. */
export declare function checkManifest(raw: any): any;
/** vocab.json: words to integer ids from first_word_id up to (not including) vocab_size. */
export declare function checkVocab(vocab: any, manifest: any, where: any): any;
