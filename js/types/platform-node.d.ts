/** The runtime used unless `load` is told otherwise. */
export declare const defaultRuntime = "node";
/** Whether `base` names a local folder (else it is fetched: http(s) URLs). */
export declare function isLocal(base: any): boolean;
/**
 * Bytes of the regular file `name` inside the folder `base`: never outside it, never a FIFO.
 * @param {string | URL} base
 * @param {string} name
 * @param {number} limit
 * @returns {Promise<Uint8Array>}
 */
export declare function readLocal(base: string | URL, name: string, limit: number): Promise<Uint8Array>;
/** @param {Uint8Array} bytes @returns {Promise<string>} */
export declare function sha256Hex(bytes: Uint8Array): Promise<string>;
/** The onnxruntime module for `runtime` ("node" or "web"), imported only when chosen. */
export declare function importRuntime(runtime: any): Promise<{
    Tensor: import("onnxruntime-node").TensorConstructor;
    InferenceSession: import("onnxruntime-node").InferenceSessionFactory;
    registerBackend: (name: string, backend: import("onnxruntime-node").Backend, priority: number) => void;
    env: import("onnxruntime-node").Env;
    TRACE: (deviceType: string, label: string) => void;
    TRACE_FUNC_BEGIN: (extraMsg?: string) => void;
    TRACE_FUNC_END: (extraMsg?: string) => void;
    TRACE_EVENT_BEGIN: (extraMsg?: string) => void;
    TRACE_EVENT_END: (extraMsg?: string) => void;
    listSupportedBackends: () => import("onnxruntime-node/dist/binding.js").Binding.SupportedBackend[];
    default: typeof import("onnxruntime-node");
} | {
    Tensor: import("onnxruntime-node").TensorConstructor;
    InferenceSession: import("onnxruntime-node").InferenceSessionFactory;
    registerBackend: (name: string, backend: import("onnxruntime-node").Backend, priority: number) => void;
    env: import("onnxruntime-node").Env;
    TRACE: (deviceType: string, label: string) => void;
    TRACE_FUNC_BEGIN: (extraMsg?: string) => void;
    TRACE_FUNC_END: (extraMsg?: string) => void;
    TRACE_EVENT_BEGIN: (extraMsg?: string) => void;
    TRACE_EVENT_END: (extraMsg?: string) => void;
    default: typeof import("onnxruntime-web");
}>;
/**
 * The bundle `load()` takes when given none: the model packed with the npm package (its `model/`
 * folder), or, in a checkout of the repository, the shipped bundle it is packed from.
 * @returns {string}
 */
export declare function defaultBundle(): string;
