import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV, BackendError, availableBackends, getBackendName, initBackend } from '../../src';

describe('backend selection', () => {
  const saved = process.env[BACKEND_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[BACKEND_ENV];
    else process.env[BACKEND_ENV] = saved;
  });

  test('wasm and cpu are always available, in order of speed', () => {
    const available = availableBackends();
    expect(available).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    expect(available.indexOf('wasm')).toBeLessThan(available.indexOf('cpu'));
    if (available.includes('tensorflow')) expect(available[0]).toBe('tensorflow');
  });

  test('without a choice the fastest available backend is active and reported', async () => {
    delete process.env[BACKEND_ENV];
    const name = await initBackend();
    expect(name).toBe(availableBackends()[0]);
    expect(getBackendName()).toBe(name);
    expect(tf.getBackend()).toBe(name);
  });

  test.each(['wasm', 'cpu'] as const)('the option forces %s', async (backend) => {
    expect(await initBackend(backend)).toBe(backend);
    expect(getBackendName()).toBe(backend);
  });

  test('the environment variable forces a backend, and the option overrides it', async () => {
    process.env[BACKEND_ENV] = 'cpu';
    expect(await initBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  test('a name not registered here is a BackendError naming where it came from and what is registered', async () => {
    const registered = availableBackends().join(', ');
    await expect(initBackend('webgpu')).rejects.toThrow(BackendError);
    await expect(initBackend('webgpu')).rejects.toThrow(`backend: expected a registered backend (${registered}), got 'webgpu'`);
    process.env[BACKEND_ENV] = 'gpu';
    await expect(initBackend()).rejects.toThrow(`TFJS_RNN_BACKEND: expected a registered backend (${registered}), got 'gpu'`);
  });

  test('asking for tensorflow where tfjs-node is missing says which are available', async () => {
    if (availableBackends().includes('tensorflow')) return expect(await initBackend('tensorflow')).toBe('tensorflow');
    await expect(initBackend('tensorflow')).rejects.toThrow(
      /^backend: expected a registered backend \(wasm, cpu\), got 'tensorflow' \(it comes with @tensorflow\/tfjs-node: npm install @tensorflow\/tfjs-node, whose install downloads libtensorflow\)$/,
    );
  });
});
