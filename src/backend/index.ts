export * from './backend';
export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { BACKEND_NAMES, BackendName, getBackendName } from './select';
