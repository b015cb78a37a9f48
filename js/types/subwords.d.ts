/** FNV-1a 32-bit of a string's UTF-8 bytes (a token never holds a lone surrogate: they separate tokens). */
export declare function fnv1a32(text: any): number;
/** The number of n-grams of a token of `length` code points. */
export declare function countNgrams(length: any, minN: any, maxN: any): number;
export declare class SubwordEncoder {
    config: {
        min_n: number;
        max_n: number;
        buckets: number;
        slots: number;
    };
    fromEnd: any;
    cache: Map<any, any>;
    /** @param {{min_n: number, max_n: number, buckets: number, slots: number}} config */
    constructor(config: {
        min_n: number;
        max_n: number;
        buckets: number;
        slots: number;
    }, fromEnd: any);
    bucket(gram: any): number;
    /** The subword ids of the kept tokens that survive truncation to `slots` (an Int32Array). */
    kept(tokens: any): Int32Array<any>;
    ids(token: any): any;
    /** The last (or first) `room` n-gram ids of a token that has more. */
    part(token: any, room: any): Int32Array<ArrayBuffer>;
}
