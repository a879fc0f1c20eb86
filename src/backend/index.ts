export * from './backend';
export { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { BACKEND_NAMES, BackendName, getBackendName } from './select';
export { BackendCapabilities, SyncReads, backendCapabilities } from './capabilities';
export { BackendOptions } from './wasmThreads';
