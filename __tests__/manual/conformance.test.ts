import * as tf from '@tensorflow/tfjs';
import { RNNConfig, checkConfig, outputSize } from '../../src';
import { StepWeights } from '../../src/manual/cells';
import { cellEnginesFor } from '../../src/manual/engines';
import { wasmKernels } from '../../src/manual/engines/wasm';
import { Engine } from '../../src/manual/plan';
import { recur } from '../../src/manual/recurrence';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';

/**
 * Every engine runs every cell through `recur` (every mode, forward and reverse, with and
 * without lengths, with a projection, without biases) and is held to the tensor engine, the
 * cell's step as tf ops, within `ENGINE_ULPS` (see docs/numeric-contract.md); the PyTorch
 * fixtures hold every engine to PyTorch in parity.test.ts (loop 'host' is the host engine,
 * loop 'tensor' the wasm engine on wasm and the tensor engine elsewhere).
 */

/** Bound on the difference from the tensor engine over these cases, in float32 ulps of 1 (2⁻²³) per unit of max(1, |reference|): measured worst 2.4 (wasm engine; host engine 2.25). */
export const ENGINE_ULPS = 4;

const CELLS: RNNConfig[] = [
  { mode: 'RNN', inputSize: 1, hiddenSize: 7 },
  { mode: 'RNN', inputSize: 1, hiddenSize: 5, nonlinearity: 'relu' },
  { mode: 'LSTM', inputSize: 1, hiddenSize: 7 },
  { mode: 'LSTM', inputSize: 1, hiddenSize: 6, projSize: 3 },
  { mode: 'GRU', inputSize: 1, hiddenSize: 7 },
  { mode: 'GRU', inputSize: 1, hiddenSize: 5, bias: false },
];

const [STEPS, BATCH] = [11, 5];
const DIRECTIONS = [
  { name: 'forward', reverse: false },
  { name: 'reverse', reverse: true },
  { name: 'forward, lengths', reverse: false, lengths: Int32Array.of(11, 3, 7, 1, 11) },
  { name: 'reverse, lengths', reverse: true, lengths: Int32Array.of(2, 11, 1, 6, 9) },
];

/** Worst `|a − b| / max(1, |b|)` in units of 2⁻²³. */
function ulpsOfOne(actual: tf.Tensor, reference: tf.Tensor): number {
  const [a, b] = [actual.dataSync(), reference.dataSync()];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst / 2 ** -23;
}

describeEachBackend(() => {
  describe.each(CELLS.map((config) => [JSON.stringify(config), config] as const))('%s', (_, config) => {
    const full = checkConfig(config);
    const engines = cellEnginesFor(full);
    const gateSize = { RNN: 1, LSTM: 4, GRU: 3 }[full.mode] * full.hiddenSize;
    const hOut = outputSize(full);
    const sizes = engines.cell.stateSizes(full);
    let projection: tf.Tensor3D;
    let initial: tf.Tensor2D[];
    let weights: StepWeights;
    beforeAll(() => {
      projection = tf.randomNormal([STEPS, BATCH, gateSize], 0, 1.5, 'float32', 1);
      initial = sizes.map((size, i) => tf.randomNormal([BATCH, size], 0, 0.5, 'float32', 2 + i) as tf.Tensor2D);
      weights = {
        recurrentT: tf.randomUniform([hOut, gateSize], -0.6, 0.6, 'float32', 4) as tf.Tensor2D,
        hiddenBias: full.mode === 'GRU' && full.bias ? (tf.randomUniform([full.hiddenSize], -0.5, 0.5, 'float32', 5) as tf.Tensor1D) : undefined,
        projectionT: full.projSize ? (tf.randomUniform([full.hiddenSize, hOut], -0.6, 0.6, 'float32', 6) as tf.Tensor2D) : undefined,
      };
    });
    afterAll(() => tf.dispose([projection, ...initial, ...(Object.values(weights).filter(Boolean) as tf.Tensor[])]));

    const enginesHere = (): Engine[] => (wasmKernels() ? ['host', 'wasm', 'tensor'] : ['host', 'tensor']);
    const run = (engine: Engine, direction: (typeof DIRECTIONS)[number], input = projection) =>
      recur(engines, input, initial, weights, { reverse: direction.reverse, lengths: direction.lengths, engine, kernels: wasmKernels() });

    test.each(DIRECTIONS.map((direction) => [direction.name, direction] as const))('%s: every engine within ENGINE_ULPS of the tensor engine', (_, direction) => {
      const reference = run('tensor', direction);
      for (const engine of enginesHere()) {
        const states = run(engine, direction);
        states.forEach((state, i) => {
          expect(state.shape).toEqual([STEPS, BATCH, sizes[i]]);
          const ulps = ulpsOfOne(state, reference[i]);
          if (ulps > ENGINE_ULPS) throw new Error(`${engine} engine, state ${i}: ${ulps.toFixed(2)} ulps of 1 from the tensor engine (bound ${ENGINE_ULPS})`);
        });
        tf.dispose(states);
      }
      tf.dispose(reference);
    });

    test.each(DIRECTIONS.map((direction) => [direction.name, direction] as const))('%s: every engine gives the same bits with a gradient tape as without', (_, direction) => {
      for (const engine of enginesHere()) {
        const plain = run(engine, direction);
        const taped: tf.Tensor[] = [];
        const gradient = tf.grad((input: tf.Tensor) => {
          const states = run(engine, direction, input as tf.Tensor3D);
          taped.push(...states.map((state) => tf.keep(tf.clone(state))));
          return tf.addN(states.map((state) => tf.sum(state)));
        })(projection);
        plain.forEach((state, i) => expect(Array.from(taped[i].dataSync())).toEqual(Array.from(state.dataSync())));
        tf.dispose([gradient, ...plain, ...taped]);
      }
    });

    test('no engine leaves a tensor behind', () => {
      for (const engine of enginesHere()) expectNoLeak(() => tf.dispose(run(engine, DIRECTIONS[3])));
    });
  });
});
