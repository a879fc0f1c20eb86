import { BackendName, activateBackend, registeredBackends } from './select';
import { checkThreads, withWasmThreads } from './wasmThreads';
import { ArgumentError } from '../errors';

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

/** Options of the browser entry's `initBackend`. */
export interface BrowserBackendOptions {
  /**
   * Threads of the wasm backend's kernels, from 1 to 8, fixed when it first initialises:
   * more than 1 needs a cross-origin isolated page (see `docs/browser-backends.md`).
   * Absent: tfjs's own choice (half the logical cores on an isolated page, else 1).
   */
  threads?: number;
}

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
export async function initBackend(backend?: BackendName, options?: BrowserBackendOptions): Promise<BackendName>;
export async function initBackend(backend: string, options?: BrowserBackendOptions): Promise<string>;
export async function initBackend(backend?: string, options: BrowserBackendOptions = {}): Promise<string> {
  const activate = () => activateBackend(availableBackends(), backend, 'backend');
  if (options.threads === undefined) return activate();
  const threads = checkThreads(options.threads);
  if (backend !== undefined && backend !== 'wasm') {
    throw new ArgumentError('threads', `no threads option for the ${backend} backend (it sets the wasm backend's)`, String(threads));
  }
  return withWasmThreads(threads, activate);
}

export { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { BACKEND_NAMES, BackendName, getBackendName } from './select';
export { BackendCapabilities, SyncReads, backendCapabilities } from './capabilities';
