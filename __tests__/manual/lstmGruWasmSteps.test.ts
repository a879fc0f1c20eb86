import * as tf from '@tensorflow/tfjs';
import { FORWARD_TOLERANCE, initBackend } from '../../src';
import { checkConfig } from '../../src';
import { StepWeights } from '../../src/manual/cells';
import { CellEngines, cellEnginesFor } from '../../src/manual/engines';
import { wasmKernels } from '../../src/manual/engines/wasm';
import { recur } from '../../src/manual/recurrence';
import { readingOrder } from '../../src/manual/tensorSteps';
import { expectClose } from '../helpers/expectClose';

/** N, L, H; H_out for the LSTM with projSize. Sizes that are not multiples of XNNPACK's tiles. */
const [BATCH, STEPS, HIDDEN, PROJECTED] = [5, 7, 6, 3];

interface StepCase {
  name: string;
  engines: CellEngines;
  /** Sizes of the carried states (h, and c for an LSTM). */
  stateSizes: number[];
  /** G·H. */
  gateSize: number;
  weights: () => StepWeights;
  /** The cell's step in tf ops with tanh as `2σ(2z) − 1`, as its wasm steps compute it. */
  reference: (projection: tf.Tensor2D, previous: tf.Tensor2D[], weights: StepWeights) => tf.Tensor2D[];
}

/** `tanh z` as `2σ(2z) − 1`: `2z = z + z` and `2s − 1 = addN([s, s, −1])`, each exact or rounding once. */
function tanhBySigmoid(z: tf.Tensor2D): tf.Tensor2D {
  const halfShifted = tf.sigmoid(tf.add(z, z));
  return tf.addN([halfShifted, halfShifted, tf.fill(z.shape, -1)]) as tf.Tensor2D;
}

function lstmReference(projection: tf.Tensor2D, [hidden, cell]: tf.Tensor2D[], { recurrentT, projectionT }: StepWeights): tf.Tensor2D[] {
  const [input, forget, candidate, output] = tf.split<tf.Tensor2D>(tf.add(projection, tf.matMul(hidden, recurrentT)), 4, 1);
  const nextCell = tf.add<tf.Tensor2D>(tf.mul(tf.sigmoid(forget), cell), tf.mul(tf.sigmoid(input), tanhBySigmoid(candidate)));
  const unprojected = tf.mul<tf.Tensor2D>(tf.sigmoid(output), tanhBySigmoid(nextCell));
  return [projectionT ? tf.matMul(unprojected, projectionT) : unprojected, nextCell];
}

/** The GRU's candidate from `2·(p_n + r ⊙ (a_n + b_hn))`: doublings are exact, so these are the bits of tanh's argument doubled. */
function gruReference(projection: tf.Tensor2D, [hidden]: tf.Tensor2D[], { recurrentT, hiddenBias }: StepWeights): tf.Tensor2D[] {
  const [projectedReset, projectedUpdate, projectedNew] = tf.split<tf.Tensor2D>(projection, 3, 1);
  const [recurrentReset, recurrentUpdate, recurrentNewWithoutBias] = tf.split<tf.Tensor2D>(tf.matMul(hidden, recurrentT), 3, 1);
  const recurrentNew = hiddenBias ? tf.add<tf.Tensor2D>(recurrentNewWithoutBias, hiddenBias) : recurrentNewWithoutBias;
  const reset = tf.sigmoid(tf.add(projectedReset, recurrentReset));
  const update = tf.sigmoid(tf.add(projectedUpdate, recurrentUpdate));
  const doubledArgument = tf.addN([projectedNew, projectedNew, tf.mul(reset, tf.mul(recurrentNew, 2))]);
  const halfShifted = tf.sigmoid(doubledArgument);
  const candidate = tf.addN([halfShifted, halfShifted, tf.fill(halfShifted.shape, -1)]);
  return [tf.add<tf.Tensor2D>(tf.mul(tf.sub(hidden, candidate), update), candidate)];
}

const uniform = (shape: number[], seed: number) => tf.randomUniform(shape, -0.5, 0.5, 'float32', seed);

const CELL_CASES: StepCase[] = [
  {
    name: 'LSTM',
    engines: cellEnginesFor(checkConfig({ mode: 'LSTM', inputSize: 1, hiddenSize: HIDDEN })),
    stateSizes: [HIDDEN, HIDDEN],
    gateSize: 4 * HIDDEN,
    weights: () => ({ recurrentT: uniform([HIDDEN, 4 * HIDDEN], 41) as tf.Tensor2D }),
    reference: lstmReference,
  },
  {
    name: 'LSTM with projSize',
    engines: cellEnginesFor(checkConfig({ mode: 'LSTM', inputSize: 1, hiddenSize: HIDDEN, projSize: PROJECTED })),
    stateSizes: [PROJECTED, HIDDEN],
    gateSize: 4 * HIDDEN,
    weights: () => ({ recurrentT: uniform([PROJECTED, 4 * HIDDEN], 42) as tf.Tensor2D, projectionT: uniform([HIDDEN, PROJECTED], 43) as tf.Tensor2D }),
    reference: lstmReference,
  },
  {
    name: 'GRU',
    engines: cellEnginesFor(checkConfig({ mode: 'GRU', inputSize: 1, hiddenSize: HIDDEN })),
    stateSizes: [HIDDEN],
    gateSize: 3 * HIDDEN,
    weights: () => ({ recurrentT: uniform([HIDDEN, 3 * HIDDEN], 44) as tf.Tensor2D, hiddenBias: uniform([HIDDEN], 45) as tf.Tensor1D }),
    reference: gruReference,
  },
  {
    name: 'GRU without biases',
    engines: cellEnginesFor(checkConfig({ mode: 'GRU', inputSize: 1, hiddenSize: HIDDEN, bias: false })),
    stateSizes: [HIDDEN],
    gateSize: 3 * HIDDEN,
    weights: () => ({ recurrentT: uniform([HIDDEN, 3 * HIDDEN], 46) as tf.Tensor2D }),
    reference: gruReference,
  },
];

interface Direction {
  reverse: boolean;
  lengths?: Int32Array;
}

const DIRECTIONS: Direction[] = [
  { reverse: false },
  { reverse: true },
  { reverse: false, lengths: Int32Array.of(2, 7, 4, 7, 1) },
  { reverse: true, lengths: Int32Array.of(6, 1, 7, 3, 2) },
];

/** `reference`'s steps over the sequence, rows past their length keeping their states. */
function referenceStates(stepCase: StepCase, projection: tf.Tensor3D, initial: tf.Tensor2D[], weights: StepWeights, { reverse, lengths }: Direction): tf.Tensor3D[] {
  return tf.tidy(() => {
    const steps = tf.unstack(projection) as tf.Tensor2D[];
    const states: tf.Tensor2D[][] = initial.map(() => new Array(STEPS));
    let previous = initial;
    for (const t of readingOrder(STEPS, reverse)) {
      let next = stepCase.reference(steps[t], previous, weights);
      if (lengths !== undefined) {
        const valid = tf.tensor2d(Array.from(lengths, (length) => [length > t ? 1 : 0]), [BATCH, 1], 'bool');
        next = next.map((state, i) => tf.where(tf.broadcastTo(valid, state.shape), state, previous[i]));
      }
      next.forEach((state, i) => (states[i][t] = state));
      previous = next;
    }
    return states.map((steps) => tf.stack(steps) as tf.Tensor3D);
  });
}

const label = ({ reverse, lengths }: Direction) => `${reverse ? 'reverse' : 'forward'}${lengths ? `, lengths [${lengths.join(', ')}]` : ''}`;

describe('LSTM and GRU steps on wasm kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  describe.each(CELL_CASES.map((stepCase) => [stepCase.name, stepCase] as const))('%s', (_, stepCase) => {
    let projection: tf.Tensor3D;
    let initial: tf.Tensor2D[];
    let weights: StepWeights;
    beforeAll(() => {
      projection = tf.randomNormal([STEPS, BATCH, stepCase.gateSize], 0, 1.5, 'float32', 31);
      initial = stepCase.stateSizes.map((size, i) => tf.randomNormal([BATCH, size], 0, 0.5, 'float32', 32 + i) as tf.Tensor2D);
      weights = stepCase.weights();
    });
    afterAll(() => tf.dispose([projection, ...initial, ...(Object.values(weights) as tf.Tensor[])]));

    test('the wasm engine runs here', () => {
      expect(wasmKernels()).toBeDefined();
    });

    // Bit-identical: each kernel is the one the tf op of the same name runs, on the same
    // inputs; gate blocks are only copied, and the doublings (2g, 2W_hn, 2b_hn) are exact.
    test.each(DIRECTIONS.map((direction) => [label(direction), direction] as const))('gives the bits of the same maths as tf ops: %s', (_, direction) => {
      const mine = stepCase.engines.wasm(wasmKernels()!, projection, initial, weights, direction);
      const reference = referenceStates(stepCase, projection, initial, weights, direction);
      mine.forEach((states, i) => expect(Array.from(states.dataSync())).toEqual(Array.from(reference[i].dataSync())));
      tf.dispose([...mine, ...reference]);
    });

    // Not the bits of the cell's tf-op step: wasm's tf.tanh (a scalar tanhf loop) and
    // 2σ(2z) − 1 round differently, by at most 1.8e-7 (1.5 float32 ulps of 1, over z in [−6, 6]).
    test.each(DIRECTIONS.map((direction) => [label(direction), direction] as const))("is within the forward tolerance of the cell's tf-op steps: %s", (_, direction) => {
      const mine = recur(stepCase.engines, projection, initial, weights, { ...direction, engine: 'wasm', kernels: wasmKernels() });
      const reference = recur(stepCase.engines, projection, initial, weights, { ...direction, engine: 'tensor' });
      mine.forEach((states, i) => expectClose(states, reference[i], FORWARD_TOLERANCE, `state ${i}`));
      tf.dispose([...mine, ...reference]);
    });

    test('leaves no tensor and no backend buffer behind', () => {
      const call = () => tf.dispose(stepCase.engines.wasm(wasmKernels()!, projection, initial, weights, DIRECTIONS[3]));
      call();
      const [tensors, buffers] = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
      for (let i = 0; i < 3; i++) call();
      expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual([tensors, buffers]);
    });
  });
});
