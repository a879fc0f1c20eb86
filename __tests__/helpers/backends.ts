import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, BackendName, availableBackends, initBackend } from '../../src';

/** Runs `body` once per available backend of the automatic choice (tensorflow, wasm, cpu), inside a describe block named after it. */
export function describeEachBackend(body: (backend: BackendName) => void): void {
  const backends = availableBackends().filter((name): name is BackendName => (BACKEND_NAMES as readonly string[]).includes(name));
  describe.each(backends)('%s backend', (backend) => {
    beforeAll(async () => {
      await initBackend(backend);
    });
    body(backend);
  });
}

/** Runs `call` three times after a warm-up and expects the live tensor count not to move. */
export function expectNoLeak(call: () => void): void {
  call();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) call();
  expect(tf.memory().numTensors).toBe(before);
}
