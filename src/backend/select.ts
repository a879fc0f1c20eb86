import * as tf from '@tensorflow/tfjs-core';
import './register';
import { BackendError } from '../errors';

/** Choosing a backend among those registered with tfjs: the part the Node and browser entries share. */

/**
 * The backends the automatic choice tries, fastest first. Any other backend registered with
 * tfjs (`webgl`, `webgpu` once its package is imported, …) is used when asked for by name.
 */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

function isAutomatic(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Every backend registered with tfjs: those of `BACKEND_NAMES` fastest first, then the others in tfjs's order. */
export function registeredBackends(): string[] {
  const names = tf.engine().backendNames();
  return [...BACKEND_NAMES.filter((name) => names.includes(name)), ...names.filter((name) => !isAutomatic(name))];
}

/**
 * Makes a backend of `available` active and returns its name: `requested` when given (and
 * not empty), else the first of `available` in `BACKEND_NAMES` that initialises. A requested
 * backend that is not registered or cannot be used throws `BackendError` naming `source`,
 * where the request came from, and what is missing (`howToGet`, for one not registered); the
 * automatic choice falls through to the next.
 */
export async function activateBackend(
  available: string[],
  requested: string | undefined,
  source: string,
  howToGet: (name: string) => string = () => 'not registered',
): Promise<string> {
  if (requested !== undefined && requested !== '') {
    if (!available.includes(requested)) {
      throw new BackendError(source, `a registered backend (${available.join(', ')})`, `'${requested}' (${howToGet(requested)})`);
    }
    if (!(await tf.setBackend(requested))) {
      throw new BackendError(source, `a backend that initialises here (${available.join(', ')})`, `'${requested}' (it failed to initialise)`);
    }
    return requested;
  }
  for (const name of available.filter(isAutomatic)) {
    if (await tf.setBackend(name)) return name;
  }
  throw new BackendError('backend', `one of ${BACKEND_NAMES.join(', ')} to initialise`, 'none');
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
