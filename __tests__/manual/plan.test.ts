import { RNNConfig, StepLoop, checkConfig } from '../../src';
import { BackendTraits, ForwardCall, ForwardPlan, hostEngineAllowedOn, multiplyAddsPerStep, planForward } from '../../src/manual';

const WASM: BackendTraits = { name: 'wasm', wasmEngine: true, hostEngine: true };
/** wasm with a tfjs-backend-wasm outside the adapter's versions: no direct kernel calls. */
const OLD_WASM: BackendTraits = { name: 'wasm', wasmEngine: false, hostEngine: true };
const CPU: BackendTraits = { name: 'cpu', wasmEngine: false, hostEngine: true };
const TENSORFLOW: BackendTraits = { name: 'tensorflow', wasmEngine: false, hostEngine: true };
const WEBGL: BackendTraits = { name: 'webgl', wasmEngine: false, hostEngine: false };

// multiplyAddsPerStep: SMALL 4·32·(16 + 32) = 6144 (≤ 2¹⁸, a small model on wasm);
// MEDIUM 4·128·(64 + 128) = 98304 (≤ 2¹⁷: one step is a short call; its batch step N·H·4H = 65536·N);
// LARGE 4·256·(128 + 256) = 393216 (> 2¹⁸); its batch step 262144·N.
const SMALL: RNNConfig = { mode: 'LSTM', inputSize: 16, hiddenSize: 32 };
const MEDIUM: RNNConfig = { mode: 'LSTM', inputSize: 64, hiddenSize: 128 };
const LARGE: RNNConfig = { mode: 'LSTM', inputSize: 128, hiddenSize: 256 };
const TINY_RNN: RNNConfig = { mode: 'RNN', inputSize: 3, hiddenSize: 16 }; // 16·19 = 304 per step; N·H·H = 256·N

const call = (loop: StepLoop, seqLen: number, batchSize = 1, extra: Partial<ForwardCall> = {}): ForwardCall => ({
  loop,
  training: false,
  seqLen,
  batchSize,
  lengths: false,
  taped: false,
  ...extra,
});

type Row = [label: string, config: RNNConfig, call: ForwardCall, backend: BackendTraits, plan: ForwardPlan];
const host = { engine: 'host', wholeOnHost: true } as const;
const hostLayered = { engine: 'host', wholeOnHost: false } as const;
const wasm = { engine: 'wasm', wholeOnHost: false } as const;
const tensor = { engine: 'tensor', wholeOnHost: false } as const;

/** The route of every kind of call: one row per rule of `planForward`. */
const TABLE: Row[] = [
  ['loop host: the host engine anywhere', LARGE, call('host', 1000, 64), WASM, host],
  ['loop host on webgl too (asked for)', LARGE, call('host', 1000, 64), WEBGL, host],
  ['loop tensor on wasm: its kernels', SMALL, call('tensor', 1), WASM, wasm],
  ['loop tensor on cpu: tf ops', SMALL, call('tensor', 1), CPU, tensor],
  ['loop tensor on an unsupported wasm: tf ops', SMALL, call('tensor', 1), OLD_WASM, tensor],
  ['auto on cpu: the host at any size', LARGE, call('auto', 1000, 64), CPU, host],
  ['auto on wasm, small model, long call: the host', SMALL, call('auto', 1000, 64), WASM, host],
  ['auto on wasm, medium model (at most 2¹⁸ per step), long call: the host', MEDIUM, call('auto', 1000, 64), WASM, host],
  ['auto on wasm, large model, long call: the kernels', LARGE, call('auto', 1000, 1), WASM, wasm],
  ['auto on wasm, large model, one step: the kernels (beyond a short call)', LARGE, call('auto', 1, 1), WASM, wasm],
  ['auto on an unsupported wasm, small model: the host', SMALL, call('auto', 1000, 64), OLD_WASM, host],
  ['auto on an unsupported wasm, large model: tf ops (its batch step is beyond the host rule)', LARGE, call('auto', 1000, 1), OLD_WASM, tensor],
  ['auto on tensorflow, short call: the host', MEDIUM, call('auto', 1, 64), TENSORFLOW, host],
  ['auto on tensorflow, just beyond a short call: tf ops', MEDIUM, call('auto', 2, 1), TENSORFLOW, tensor],
  ['auto on tensorflow, small batch step: the host', TINY_RNN, call('auto', 1000, 63), TENSORFLOW, host],
  ['auto on tensorflow, batch step at the threshold: tf ops', TINY_RNN, call('auto', 1000, 64), TENSORFLOW, tensor],
  ['auto on webgl: never the host (no synchronous reads)', TINY_RNN, call('auto', 1), WEBGL, tensor],
  ['host engine with a tape: layer by layer, same engine', SMALL, call('auto', 10, 1, { taped: true }), WASM, hostLayered],
  ['host engine with lengths: layer by layer, same engine', SMALL, call('auto', 10, 4, { lengths: true }), WASM, hostLayered],
  ['host engine, bidirectional: layer by layer', { ...SMALL, bidirectional: true }, call('auto', 10), WASM, hostLayered],
  ['dropout between layers in training: layer by layer', { ...SMALL, numLayers: 2, dropout: 0.5 }, call('auto', 10, 1, { training: true }), CPU, hostLayered],
  ['dropout in eval mode: whole on host', { ...SMALL, numLayers: 2, dropout: 0.5 }, call('auto', 10), CPU, host],
];

describe('planForward: the route of a call', () => {
  test('the sizes the table relies on', () => {
    expect(multiplyAddsPerStep(checkConfig(SMALL))).toBe(6144);
    expect(multiplyAddsPerStep(checkConfig(MEDIUM))).toBe(98304);
    expect(multiplyAddsPerStep(checkConfig(LARGE))).toBe(393216);
    expect(multiplyAddsPerStep(checkConfig(TINY_RNN))).toBe(304);
  });

  test.each(TABLE)('%s', (_, config, forwardCall, backend, expected) => {
    expect(planForward(checkConfig(config), forwardCall, backend)).toEqual(expected);
  });

  test('the engine depends on neither a tape nor lengths, nor (but on tensorflow and an unsupported wasm) on the batch', () => {
    for (const config of [SMALL, MEDIUM, LARGE, TINY_RNN, { ...SMALL, bidirectional: true }]) {
      for (const backend of [WASM, CPU, WEBGL]) {
        for (const loop of ['auto', 'host', 'tensor'] as const) {
          for (const seqLen of [1, 2, 30, 1000]) {
            const engines = [1, 7, 64, 512].flatMap((batchSize) =>
              [false, true].flatMap((taped) => [false, true].map((lengths) => planForward(checkConfig(config), call(loop, seqLen, batchSize, { taped, lengths }), backend).engine)),
            );
            expect(new Set(engines).size).toBe(1);
          }
        }
      }
    }
  });

  test('the host engine is allowed on every backend but webgl and webgpu', () => {
    expect(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'].map(hostEngineAllowedOn)).toEqual([true, true, true, false, false]);
  });
});
