/** The specification's tolerance for the onnx backend's scores. */
export declare const SCORE_TOLERANCE = 0.00001;
/** Beyond the tolerance but within this: the same model, other arithmetic; further: another model. */
export declare const RUNTIME_DRIFT = 0.05;
/** The first `count` cases of real texts (categories "text", or "review" in format 2). */
export declare function probeCases(bundle: any, count?: number): Promise<any[]>;
/** Refuse `classifier` unless its models reproduce the recorded scores of the probe cases. */
export declare function checkBelongs(classifier: any): Promise<void>;
/** The largest |recorded - computed| over a case's scores: a number (binary) or a list per label. */
export declare function scoreDiff(recorded: any, row: any): number;
