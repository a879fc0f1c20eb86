import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../errors';

/** Choosing a backend among those registered with tfjs: the part the Node and browser entries share. */

/** The backends this package knows, fastest first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backends of `BACKEND_NAMES` registered with tfjs, fastest first. */
export function registeredBackends(): BackendName[] {
  return BACKEND_NAMES.filter((name) => tf.findBackendFactory(name) !== null);
}

function checkBackendName(name: string, source: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new BackendError(source, `one of ${BACKEND_NAMES.join(', ')}`, `'${name}'`);
  }
  return name as BackendName;
}

/**
 * Makes a backend of `available` active and returns its name: `requested` when given (and
 * not empty), else the first of `available` that initialises. A requested backend that is
 * unknown or cannot be used throws `BackendError` naming `source`, where the request came
 * from; the automatic choice falls through to the next.
 */
export async function activateBackend(available: BackendName[], requested: string | undefined, source: string): Promise<BackendName> {
  if (requested !== undefined && requested !== '') {
    const name = checkBackendName(requested, source);
    if (!available.includes(name) || !(await tf.setBackend(name))) {
      throw new BackendError(source, `an available backend (${available.join(', ')})`, `'${name}'`);
    }
    return name;
  }
  for (const name of available) {
    if (await tf.setBackend(name)) return name;
  }
  throw new BackendError('backend', 'one of tensorflow, wasm, cpu to initialise', 'none');
}

/**
 * The name of the active backend, e.g. `wasm`. Before any backend is initialised (where
 * `tf.getBackend()` gives `undefined`) a `BackendError` says to `await initBackend()` first.
 */
export function getBackendName(): string {
  const name = tf.getBackend() as string | undefined | null;
  if (name === undefined || name === null) {
    throw new BackendError('backend', 'an initialised backend (await initBackend() first)', 'none initialised yet');
  }
  return name;
}
