import { BackendName, activateBackend, registeredBackends } from './select';
import { BackendOptions, activateWithOptions } from './wasmThreads';

/**
 * Backend choice in a web page: automatically `wasm`, then `cpu` (`tensorflow` is tfjs-node's,
 * Node only); by name any backend registered in the page (`webgl`, which `@tensorflow/tfjs`
 * registers; `webgpu` once `@tensorflow/tfjs-backend-webgpu` is imported).
 * The wasm backend fetches one of its `.wasm` files (`tfjs-backend-wasm.wasm`, `-simd.wasm`,
 * `-threaded-simd.wasm`, by what the browser supports) when it initialises: from the
 * directory of the bundle (a classic script) or of the page (a module script), unless
 * `setWasmPaths` said where before `initBackend`: a URL prefix (`setWasmPaths('/assets/')`)
 * or a map from those file names to URLs.
 */

/** Backends registered in this page: those the automatic choice tries, fastest first, then any other. */
export function availableBackends(): string[] {
  return registeredBackends();
}

/**
 * Makes a backend active and returns its name: `backend` when given (any backend registered
 * in the page), else the fastest that initialises (`wasm`, then `cpu`). A backend that was
 * asked for and cannot be used throws `BackendError`, as does a `threads` count the page
 * cannot have; the automatic choice falls through to the next.
 */
export async function initBackend(backend?: BackendName, options?: BackendOptions): Promise<BackendName>;
export async function initBackend(backend?: string, options?: BackendOptions): Promise<string>;
export async function initBackend(backend?: string, options: BackendOptions = {}): Promise<string> {
  return activateWithOptions(backend, options, () =>
    activateBackend(availableBackends(), backend, 'backend', (name) => (name === 'tensorflow' ? "tfjs-node's, in Node only" : 'not registered')),
  );
}

export { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { BACKEND_NAMES, BackendName, getBackendName } from './select';
export { BackendCapabilities, SyncReads, backendCapabilities } from './capabilities';
export { BackendOptions } from './wasmThreads';
