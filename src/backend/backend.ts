import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../errors';

/** The backends this package knows, fastest first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Environment variable that forces a backend when no option does. */
export const BACKEND_ENV = 'TFJS_RNN_BACKEND';

let nodeBindingTried = false;

/** Registers the `tensorflow` backend when `@tensorflow/tfjs-node` (an optional dependency) loads. */
function tryLoadNodeBinding(): void {
  if (nodeBindingTried) return;
  nodeBindingTried = true;
  try {
    require('@tensorflow/tfjs-node');
  } catch {
    // Not installed, or libtensorflow missing: the other backends remain.
  }
}

/** Backends registered in this process, fastest first. */
export function availableBackends(): BackendName[] {
  tryLoadNodeBinding();
  return BACKEND_NAMES.filter((name) => tf.findBackendFactory(name) !== null);
}

function checkBackendName(name: string, source: string): BackendName {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new BackendError(source, `one of ${BACKEND_NAMES.join(', ')}`, `'${name}'`);
  }
  return name as BackendName;
}

/**
 * Makes a backend active and returns its name: `backend` when given, else the one
 * named by `TFJS_RNN_BACKEND`, else the fastest that initialises
 * (`tensorflow`, then `wasm`, then `cpu`). A backend that was asked for and cannot be
 * used throws `BackendError`; the automatic choice falls through to the next.
 */
export async function initBackend(backend?: BackendName): Promise<BackendName> {
  const forced = backend ?? process.env[BACKEND_ENV] ?? undefined;
  const available = availableBackends();
  if (forced !== undefined && forced !== '') {
    const source = backend !== undefined ? 'backend' : BACKEND_ENV;
    const name = checkBackendName(forced, source);
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

/** The name of the active backend, e.g. `wasm`. */
export function getBackendName(): string {
  return tf.getBackend();
}
