import * as tf from '@tensorflow/tfjs';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { createManualModel, initBackend } from '../../src';
import { BackendTraits, SUPPORTED_WASM_VERSIONS, describeEngines, describeWasmSupport, wasmEngineStatus } from '../../src/manual';
import { announceWasmFallback, supportsWasmVersion, wasmKernels } from '../../src/manual/engines/wasm/adapter';

describe("the wasm engine's adapter", () => {
  test('supports the 4.22 releases, the installed one among them, and no other', () => {
    expect(SUPPORTED_WASM_VERSIONS.range).toBe('4.22.x');
    expect(['4.22.0', '4.22.1', '4.21.0', '4.23.0', '5.22.0', '3.22.0', '', 'x'].map(supportsWasmVersion)).toEqual([true, true, false, false, false, false, false, false]);
    expect(wasmEngineStatus()).toEqual({ version: version_wasm, supported: true, range: '4.22.x' });
  });

  test('says which versions get their kernels called directly, and what the installed one gets', () => {
    const rule = 'with tfjs-backend-wasm 4.22.x its kernels are called directly, with any other version those steps run as tf ops';
    expect(describeWasmSupport()).toBe(`${rule}; installed: ${version_wasm} (kernels called directly)`);
    expect(describeWasmSupport(wasmEngineStatus('4.0.0'))).toBe(`${rule}; installed: 4.0.0 (tf ops)`);
  });

  test('announces the fallback once, naming the version and the range', () => {
    const messages: string[] = [];
    announceWasmFallback('4.23.0', (message) => messages.push(message));
    announceWasmFallback('4.23.0', (message) => messages.push(message));
    expect(messages).toEqual([expect.stringMatching(/tfjs-backend-wasm 4\.23\.0 is outside 4\.22\.x.*tf ops instead/)]);
  });

  test('on wasm: no kernels for an unsupported version (described so); with the installed one the plan calls them', async () => {
    await initBackend('wasm');
    expect(wasmKernels('4.23.0')).toBeUndefined();
    expect(wasmKernels()).toBeDefined();
    const traits: BackendTraits = { name: 'wasm', wasmEngine: false, hostEngine: true };
    expect(describeEngines(traits, wasmEngineStatus('5.0.0'))).toBe(
      "wasm: host arrays (engine 'host') for short calls and small models, else tf ops (engine 'tensor') (tfjs-backend-wasm 5.0.0 is outside the supported 4.22.x: its kernels are not called directly)",
    );
    const model = createManualModel({ mode: 'LSTM', inputSize: 128, hiddenSize: 256 }, { seed: 1 });
    expect(model.plan({ seqLen: 100, batchSize: 1 }).engine).toBe('wasm');
    model.dispose();
    expect(tf.getBackend()).toBe('wasm');
  });

  test('describes the engines of each backend', async () => {
    await initBackend('wasm');
    expect(describeEngines()).toBe(
      `wasm: host arrays (engine 'host') for short calls and small models, else wasm's kernels called directly (engine 'wasm') (tfjs-backend-wasm ${version_wasm}, in the supported 4.22.x)`,
    );
    await initBackend('cpu');
    expect(describeEngines()).toBe("cpu: host arrays (engine 'host')");
    expect(describeEngines({ name: 'webgl', wasmEngine: false, hostEngine: false })).toBe("webgl: tf ops (engine 'tensor')");
  });
});
