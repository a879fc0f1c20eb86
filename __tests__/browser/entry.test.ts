import * as tf from '@tensorflow/tfjs';
import * as browser from '../../src/browser';
import * as node from '../../src';

describe('the browser entry', () => {
  // Which names each entry exports is held by __tests__/api/exports.test.ts.
  test('shares the models, formats and errors with the Node entry: the same classes and functions', () => {
    const shared = Object.keys(browser).filter((name) => !['availableBackends', 'initBackend'].includes(name));
    const differing = shared.filter((name) => browser[name as keyof typeof browser] !== node[name as keyof typeof node]);
    expect(differing).toEqual([]);
    expect(browser.initBackend).not.toBe(node.initBackend);
  });

  describe('backend choice', () => {
    const saved = process.env[node.BACKEND_ENV];
    afterEach(() => {
      if (saved === undefined) delete process.env[node.BACKEND_ENV];
      else process.env[node.BACKEND_ENV] = saved;
    });

    test('knows wasm and cpu, fastest first, and ignores TFJS_RNN_BACKEND (a page has no environment)', async () => {
      expect(browser.availableBackends()).toEqual(expect.arrayContaining(['wasm', 'cpu']));
      process.env[node.BACKEND_ENV] = 'cpu';
      expect(await browser.initBackend()).toBe(browser.availableBackends()[0]);
      expect(await browser.initBackend('cpu')).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
    });

    test('a backend not registered here is a BackendError naming the option and what is registered', async () => {
      const registered = browser.availableBackends().join(', ');
      await expect(browser.initBackend('webgpu')).rejects.toThrow(browser.BackendError);
      await expect(browser.initBackend('webgpu')).rejects.toThrow(`backend: expected a registered backend (${registered}), got 'webgpu'`);
      if (browser.availableBackends().includes('tensorflow')) return;
      await expect(browser.initBackend('tensorflow')).rejects.toThrow(/^backend: expected a registered backend \(wasm, cpu\), got 'tensorflow' \(tfjs-node's, in Node only\)$/);
    });

    test('threads: checked before any work, and only for the wasm backend', async () => {
      for (const threads of [0, 9, 1.5, '2', null]) {
        await expect(browser.initBackend('wasm', { threads: threads as number })).rejects.toThrow(
          new RegExp(`^threads: expected an integer from 1 to 8, got ${threads === null ? 'null' : typeof threads === 'string' ? 'string' : threads}$`),
        );
      }
      await expect(browser.initBackend('cpu', { threads: 2 })).rejects.toThrow(browser.ArgumentError);
      await expect(browser.initBackend('cpu', { threads: 2 })).rejects.toThrow(/^threads: expected no threads option for the cpu backend/);
      // Node has no WebAssembly threads for tfjs (and the backend here has one thread already).
      await expect(browser.initBackend('wasm', { threads: 2 })).rejects.toThrow(browser.BackendError);
      await browser.initBackend('wasm');
      expect(await browser.initBackend('wasm', { threads: browser.getThreadsCount() })).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
    });
  });
});
