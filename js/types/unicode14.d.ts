export declare const WORD: number[];
export declare const SYMBOL: number[];
export declare const SPACE: number[];
export declare const ASSIGNED: number[];
export declare const CASE_IGNORABLE: number[];
export declare const CASED: number[];
