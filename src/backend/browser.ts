import { BackendName, activateBackend, registeredBackends } from './select';

/**
 * Backend choice in a web page: `wasm`, then `cpu` (`tensorflow` is tfjs-node's, Node only).
 * The wasm backend fetches one of its `.wasm` files (`tfjs-backend-wasm.wasm`, `-simd.wasm`,
 * `-threaded-simd.wasm`, by what the browser supports) when it initialises: from the
 * directory of the bundle (a classic script) or of the page (a module script), unless
 * `setWasmPaths` said where before `initBackend`: a URL prefix (`setWasmPaths('/assets/')`)
 * or a map from those file names to URLs.
 */

/** Backends registered in this page, fastest first. */
export function availableBackends(): BackendName[] {
  return registeredBackends();
}

/**
 * Makes a backend active and returns its name: `backend` when given, else the fastest that
 * initialises (`wasm`, then `cpu`). A backend that was asked for and cannot be used throws
 * `BackendError`; the automatic choice falls through to the next.
 */
export async function initBackend(backend?: BackendName): Promise<BackendName> {
  return activateBackend(availableBackends(), backend, 'backend');
}

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { BACKEND_NAMES, BackendName, getBackendName } from './select';
