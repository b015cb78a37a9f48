export declare const defaultRuntime = "web";
export declare function isLocal(): boolean;
export declare function readLocal(): Promise<void>;
/** @param {Uint8Array} bytes @returns {Promise<string>} */
export declare function sha256Hex(bytes: Uint8Array): Promise<string>;
/** onnxruntime-web's WebAssembly build (the "web" runtime; "node" exists only in Node). */
export declare function importRuntime(runtime: any): Promise<{
    Tensor: import("onnxruntime-web/wasm").TensorConstructor;
    InferenceSession: import("onnxruntime-web/wasm").InferenceSessionFactory;
    registerBackend: (name: string, backend: import("onnxruntime-web/wasm").Backend, priority: number) => void;
    env: import("onnxruntime-web/wasm").Env;
    TRACE: (deviceType: string, label: string) => void;
    TRACE_FUNC_BEGIN: (extraMsg?: string) => void;
    TRACE_FUNC_END: (extraMsg?: string) => void;
    TRACE_EVENT_BEGIN: (extraMsg?: string) => void;
    TRACE_EVENT_END: (extraMsg?: string) => void;
    default: typeof import("onnxruntime-web/wasm");
}>;
/** @returns {string} */
export declare function defaultBundle(): string;
