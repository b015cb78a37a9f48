/** A bundle is missing, incomplete, corrupt, or does not match its manifest. */
export declare class BundleError extends Error {
    constructor(message: any);
}
