import { BundleError } from "./errors.js";
export { BundleError };
/** A bundle's checked manifest and a reader of the files it lists (verified bytes). */
export declare class Bundle {
    base: any;
    manifest: any;
    constructor(base: any, manifest: any);
    static open(base: any): Promise<Bundle>;
    /** The bytes of the file listed under `files[key]`, after checking its size and sha256. */
    read(key: any): Promise<Uint8Array<ArrayBufferLike>>;
    readJson(key: any): Promise<any>;
    /** vocab.json, checked against the manifest. */
    vocab(): Promise<any>;
}
