// The errors this runtime throws on purpose; each message names the problem and the fix.

/** A bundle is missing, incomplete, corrupt, or does not match its manifest. */
export class BundleError extends Error {
  constructor(message) {
    super(message);
    this.name = "BundleError";
  }
}
