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

    test('an unknown or missing backend is a BackendError naming the option', async () => {
      await expect(browser.initBackend('webgpu' as never)).rejects.toThrow(browser.BackendError);
      await expect(browser.initBackend('webgpu' as never)).rejects.toThrow(/^backend: expected one of tensorflow, wasm, cpu, got 'webgpu'$/);
      if (browser.availableBackends().includes('tensorflow')) return;
      await expect(browser.initBackend('tensorflow')).rejects.toThrow(/^backend: expected an available backend \(wasm, cpu\), got 'tensorflow'$/);
    });
  });
});
