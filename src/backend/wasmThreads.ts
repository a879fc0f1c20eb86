import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ArgumentError, BackendError } from '../errors';

/**
 * Threads for the wasm backend's kernels (XNNPACK's thread pool) in a web page.
 *
 * tfjs-backend-wasm 4.22 sizes its pool once, when the backend first initialises, as
 * `min(setThreadsCount(n) or cores/2, 8, cores/2)` with `cores = navigator.hardwareConcurrency`
 * (its `backend.cc` halves the logical cores for hyper-threading): on a 2-core machine every
 * request becomes 1 thread, and a `setThreadsCount` after the first initialisation does
 * nothing. The threaded binary needs a cross-origin isolated page (`crossOriginIsolated`:
 * COOP `same-origin` and COEP `require-corp`), else the backend runs one thread.
 */

/** Options of `initBackend` (both entries). */
export interface BackendOptions {
  /**
   * Threads of the wasm backend's kernels, from 1 to 8, fixed when it first initialises:
   * more than 1 needs a cross-origin isolated page (`docs/browser-backends.md`; Node's wasm
   * backend has one thread). Absent: tfjs's own choice (half the logical cores on an
   * isolated page, else 1).
   */
  threads?: number;
}

/**
 * `activate` (which makes `backend`, or the automatic choice, active) with `options` applied:
 * `threads` is checked before any work and given to the wasm backend (`withWasmThreads`).
 */
export async function activateWithOptions(backend: string | undefined, options: BackendOptions, activate: () => Promise<string>): Promise<string> {
  if (options.threads === undefined) return activate();
  const threads = checkThreads(options.threads);
  if (backend !== undefined && backend !== '' && backend !== 'wasm') {
    throw new ArgumentError('threads', `no threads option for the ${backend} backend (it sets the wasm backend's)`, String(threads));
  }
  return withWasmThreads(threads, activate);
}

/** Threads the pool can have: tfjs-backend-wasm starts eight workers. */
export const MAX_WASM_THREADS = 8;

/** Checks a `threads` option before any work: an integer in [1, `MAX_WASM_THREADS`]. */
export function checkThreads(threads: unknown): number {
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    const actual = typeof threads === 'number' ? String(threads) : `${threads === null ? 'null' : typeof threads}`;
    throw new ArgumentError('threads', `an integer from 1 to ${MAX_WASM_THREADS}`, actual);
  }
  return threads;
}

/** Whether the wasm backend has initialised in this page (its thread count is then fixed). */
function wasmInitialised(): boolean {
  return tf.engine().registry.wasm !== undefined;
}

/**
 * Runs `initialise` (which initialises the wasm backend) with a pool of `threads`: refuses,
 * before any work, a count the page cannot have (no cross-origin isolation, or a backend
 * already initialised with another count); lifts tfjs's cap at half the logical cores while
 * the backend starts (`navigator.hardwareConcurrency` reads at least `2 × threads` until it
 * has); then checks the pool it got.
 */
export async function withWasmThreads<T>(threads: number, initialise: () => Promise<T>): Promise<T> {
  if (wasmInitialised()) {
    const current = getThreadsCount();
    if (current !== threads) {
      throw new BackendError('threads', `${current}, the count the wasm backend started with (it is fixed then: pass threads on the first initBackend)`, String(threads));
    }
    return initialise();
  }
  if (threads > 1 && !(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))) {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    throw new BackendError(
      'threads',
      '1 where WebAssembly threads are unavailable (a page needs crossOriginIsolated: COOP same-origin and COEP require-corp)',
      `${threads} (crossOriginIsolated: ${isolated})`,
    );
  }
  setThreadsCount(threads);
  const restore = reportCores(2 * threads);
  let result: T;
  try {
    result = await initialise();
  } finally {
    restore();
  }
  if (tf.getBackend() !== 'wasm') return result;
  const actual = getThreadsCount();
  if (actual !== threads) throw new BackendError('threads', `the wasm backend to start ${threads} threads`, `${actual}`);
  return result;
}

/** Makes `navigator.hardwareConcurrency` read at least `cores` until the returned function is called. */
function reportCores(cores: number): () => void {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav === undefined || (nav.hardwareConcurrency ?? 0) >= cores || Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency')) return () => {};
  Object.defineProperty(nav, 'hardwareConcurrency', { value: cores, configurable: true });
  return () => {
    delete nav.hardwareConcurrency;
  };
}
