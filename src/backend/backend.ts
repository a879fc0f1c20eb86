// In Node, the @tensorflow/tfjs umbrella: its CommonJS build registers what tfjs-core's leaves
// out and tf.layers needs, the tensor methods (chained ops: the orthogonal initializer of every
// recurrent layer calls `t.flatten()`). Node only: the browser entry does not import this module.
import '@tensorflow/tfjs';
import { BackendName, activateBackend, registeredBackends } from './select';
import { BackendOptions, activateWithOptions } from './wasmThreads';

/** Backend choice in Node: `tensorflow` (tfjs-node) when it loads, and `TFJS_RNN_BACKEND`. */

/** Environment variable that forces a backend when no option does. */
export const BACKEND_ENV = 'TFJS_RNN_BACKEND';

let nodeBindingTried = false;
/** Why `@tensorflow/tfjs-node` did not load, once tried: not installed, or its error. */
let nodeBindingProblem: string | undefined;

/** Registers the `tensorflow` backend when `@tensorflow/tfjs-node` (an optional peer dependency) loads. */
function tryLoadNodeBinding(): void {
  if (nodeBindingTried) return;
  nodeBindingTried = true;
  try {
    require('@tensorflow/tfjs-node');
  } catch (error) {
    // Not installed, or libtensorflow missing: the other backends remain.
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'MODULE_NOT_FOUND' && (error as Error).message.includes("'@tensorflow/tfjs-node'");
    nodeBindingProblem = missing ? undefined : (error as Error).message.split('\n')[0];
  }
}

/** How to get a backend that is not registered: tfjs-node for `tensorflow`. */
function howToGet(name: string): string {
  if (name !== 'tensorflow') return 'not registered';
  if (nodeBindingProblem !== undefined) return `@tensorflow/tfjs-node is installed but did not load: ${nodeBindingProblem}`;
  return 'it comes with @tensorflow/tfjs-node: npm install @tensorflow/tfjs-node, whose install downloads libtensorflow';
}

/** Backends registered in this process: those the automatic choice tries, fastest first, then any other. */
export function availableBackends(): string[] {
  tryLoadNodeBinding();
  return registeredBackends();
}

/**
 * Makes a backend active and returns its name: `backend` when given (any backend registered
 * with tfjs), else the one named by `TFJS_RNN_BACKEND`, else the fastest that initialises
 * (`tensorflow`, then `wasm`, then `cpu`). A backend that was asked for and cannot be
 * used throws `BackendError`; the automatic choice falls through to the next. `threads`
 * (`BackendOptions`) is the wasm backend's: 1 in Node.
 */
export async function initBackend(backend?: BackendName, options?: BackendOptions): Promise<BackendName>;
export async function initBackend(backend?: string, options?: BackendOptions): Promise<string>;
export async function initBackend(backend?: string, options: BackendOptions = {}): Promise<string> {
  const source = backend !== undefined ? 'backend' : BACKEND_ENV;
  const requested = backend ?? process.env[BACKEND_ENV];
  return activateWithOptions(requested, options, () => activateBackend(availableBackends(), requested, source, howToGet));
}
