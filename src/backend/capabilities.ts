import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';

/**
 * What a backend allows the package to do with its tensors: the one rule every route choice
 * and every synchronous read (`dataSync`) asks.
 */

/**
 * How a backend's tensors are read synchronously:
 * - `'host'`: a copy out of memory the JavaScript thread owns (cpu, wasm, tensorflow);
 * - `'gpu'`: correct, but each read waits for the GPU to finish and copies a texture back
 *   (webgl: a pipeline stall of a millisecond or more, whatever the size);
 * - `'none'`: not reliably (webgpu, whose `dataSync` gave zeros on SwiftShader without an
 *   error, and every backend this package does not know).
 */
export type SyncReads = 'host' | 'gpu' | 'none';

export interface BackendCapabilities {
  /** How its tensors are read synchronously. */
  syncReads: SyncReads;
  /**
   * Whether `loop: 'auto'` may choose host arrays (the host loop, the host forward of small
   * models and short calls): only where a read is a host copy. Elsewhere the recurrence runs
   * as tf ops, and host arrays only where the caller asks (`loop: 'host'`, `forwardOnHost`).
   */
  hostPath: boolean;
}

/** The backends whose synchronous reads are known, by tfjs name; any other counts as `'none'`. */
const SYNC_READS: Readonly<Record<string, SyncReads>> = { tensorflow: 'host', wasm: 'host', cpu: 'host', webgl: 'gpu' };

/** How the tensors of the backend named `name` are read synchronously. */
function syncReadsOf(name: string): SyncReads {
  return Object.prototype.hasOwnProperty.call(SYNC_READS, name) ? SYNC_READS[name] : 'none';
}

/** The capabilities of the backend named `name` (the active one by default). */
export function backendCapabilities(name: string = tf.getBackend()): BackendCapabilities {
  const syncReads = syncReadsOf(name);
  return { syncReads, hostPath: syncReads === 'host' };
}

/**
 * Throws `BackendError` before any work when the active backend's tensors cannot be read
 * synchronously (`'none'`) and `purpose` needs that, e.g. `"loop: 'host'"`.
 */
export function checkSyncReads(purpose: string): void {
  const name = tf.getBackend();
  if (syncReadsOf(name) !== 'none') return;
  const readable = Object.keys(SYNC_READS).join(', ');
  throw new BackendError('backend', `one whose tensors can be read synchronously (${readable}) for ${purpose}`, `'${name}'`);
}

/** `tensor.dataSync()`, refused with `BackendError` (`checkSyncReads`) where it could give wrong values silently. */
export function readSync(tensor: tf.Tensor, purpose: string): tf.TypedArray {
  checkSyncReads(purpose);
  return tensor.dataSync();
}
