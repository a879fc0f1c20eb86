import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  LayersRNN,
  ManualRNN,
  Nonlinearity,
  RNNOutput,
  copyManualToLayers,
  lossGradients,
} from '../../src';
import { rnnStepsOnWasm } from '../../src/manual/engines/wasm/rnn';
import { copyStep, wasmKernels } from '../../src/manual/engines/wasm';
import { readingOrder } from '../../src/manual/tensorSteps';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/** Steps of `[16, 64]`, above the host loop's size, so that ManualRNN runs its tensor steps. */
const BATCH = 16;
const HIDDEN = 64;
const config = { inputSize: 8, hiddenSize: HIDDEN, numLayers: 2, bidirectional: true, batchFirst: true };

interface StepCase {
  nonlinearity: Nonlinearity;
  reverse: boolean;
  lengths?: Int32Array;
}

/**
 * What `rnnStepsOnWasm` computes, written as tf ops: tanh as `2σ(2z) − 1` with `2z` =
 * `addN([p, p, h·2W_hhᵀ])` and `2s − 1` = `addN([s, s, −1])`; rows past their length keep
 * their previous state.
 */
function referenceStates(projection: tf.Tensor3D, initial: tf.Tensor2D, recurrentT: tf.Tensor2D, { nonlinearity, reverse, lengths }: StepCase): tf.Tensor3D {
  return tf.tidy(() => {
    const [seqLen, batchSize, hiddenSize] = projection.shape;
    const steps = tf.unstack(projection) as tf.Tensor2D[];
    const doubled = tf.mul(recurrentT, 2);
    const minusOne = tf.fill([batchSize, hiddenSize], -1);
    const states: tf.Tensor2D[] = new Array(seqLen);
    let previous = initial;
    for (const t of readingOrder(seqLen, reverse)) {
      let state: tf.Tensor2D;
      if (nonlinearity === 'tanh') {
        const halfShifted = tf.sigmoid(tf.addN([steps[t], steps[t], tf.matMul(previous, doubled)]));
        state = tf.addN([halfShifted, halfShifted, minusOne]) as tf.Tensor2D;
      } else {
        state = tf.relu(tf.add<tf.Tensor2D>(steps[t], tf.matMul(previous, recurrentT)));
      }
      if (lengths !== undefined) {
        const valid = tf.tensor2d(Array.from(lengths, (length) => [length > t ? 1 : 0]), [batchSize, 1], 'bool');
        state = tf.where(tf.broadcastTo(valid, [batchSize, hiddenSize]), state, previous);
      }
      states[t] = previous = state;
    }
    return tf.stack(states) as tf.Tensor3D;
  });
}

const STEP_CASES: StepCase[] = [
  { nonlinearity: 'tanh', reverse: false },
  { nonlinearity: 'tanh', reverse: true },
  { nonlinearity: 'relu', reverse: false },
  { nonlinearity: 'relu', reverse: true, lengths: Int32Array.of(7, 3, 1, 5, 7) },
  { nonlinearity: 'tanh', reverse: false, lengths: Int32Array.of(2, 7, 4, 7, 1) },
  { nonlinearity: 'tanh', reverse: true, lengths: Int32Array.of(6, 1, 7, 3, 2) },
];

describeEachBackend((backend) => {
  test(`the wasm kernels are used on wasm only (${backend})`, () => {
    expect(wasmKernels() !== undefined).toBe(backend === 'wasm');
  });

  if (backend === 'wasm') {
    describe('rnnStepsOnWasm', () => {
      let projection: tf.Tensor3D;
      let initial: tf.Tensor2D;
      let recurrentT: tf.Tensor2D;
      beforeAll(() => {
        projection = tf.randomNormal([7, 5, 24], 0, 1.5, 'float32', 31);
        initial = tf.randomNormal([5, 24], 0, 0.5, 'float32', 32);
        recurrentT = tf.randomUniform([24, 24], -0.4, 0.4, 'float32', 33);
      });
      afterAll(() => tf.dispose([projection, initial, recurrentT]));

      const label = ({ nonlinearity, reverse, lengths }: StepCase) =>
        `${nonlinearity}${reverse ? ', reverse' : ''}${lengths ? `, lengths [${lengths.join(', ')}]` : ''}`;
      test.each(STEP_CASES.map((stepCase) => [label(stepCase), stepCase] as const))('gives the bits of the same steps as tf ops: %s', (_, stepCase) => {
        const mine = rnnStepsOnWasm(wasmKernels()!, projection, initial, recurrentT, stepCase);
        const reference = referenceStates(projection, initial, recurrentT, stepCase);
        expect(Array.from(mine.dataSync())).toEqual(Array.from(reference.dataSync()));
        tf.dispose([mine, reference]);
      });

      test.each([0, 3, 6])('copyStep copies step %i, as tf.gather does', (t) => {
        const [mine, reference] = [copyStep(wasmKernels()!, projection, t), tf.gather(projection, t)];
        expect(mine.shape).toEqual([5, 24]);
        expect(Array.from(mine.dataSync())).toEqual(Array.from(reference.dataSync()));
        tf.dispose([mine, reference]);
      });

      test('leaves no tensor and no backend buffer behind', () => {
        const call = () => tf.dispose(rnnStepsOnWasm(wasmKernels()!, projection, initial, recurrentT, STEP_CASES[4]));
        call();
        const [tensors, buffers] = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
        for (let i = 0; i < 3; i++) call();
        expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual([tensors, buffers]);
      });
    });
  }

  describe('steps above the host loop size', () => {
    let manual: ManualRNN;
    let layers: LayersRNN;
    let input: tf.Tensor;
    let h0: tf.Tensor;
    beforeAll(() => {
      manual = new ManualRNN(config, { seed: 21 }).eval();
      layers = new LayersRNN(config).eval();
      copyManualToLayers(manual, layers);
      input = tf.randomNormal([BATCH, 12, 8], 0, 1, 'float32', 22);
      h0 = tf.randomNormal([4, BATCH, HIDDEN], 0, 0.5, 'float32', 23);
    });
    afterAll(() => {
      manual.dispose();
      layers.dispose();
      tf.dispose([input, h0]);
    });

    test('forward matches the tf.layers twin', () => {
      const [mine, twin] = [manual.forward(input, h0), layers.forward(input, h0)];
      expectClose(mine.output, twin.output, FORWARD_TOLERANCE, 'output');
      expectClose(mine.hN, twin.hN, FORWARD_TOLERANCE, 'h_n');
      tf.dispose([mine.output, mine.hN, twin.output, twin.hN]);
    });

    test('gradients w.r.t. input and h0 match the tf.layers twin', () => {
      const objective = ({ output, hN }: RNNOutput) => tf.add(tf.sum(tf.square(output)), tf.sum(hN)) as tf.Scalar;
      const mine = lossGradients(manual, objective, input, { h0 });
      const twin = lossGradients(layers, objective, input, { h0 });
      expectClose(mine.input, twin.input, GRADIENT_TOLERANCE, 'd input');
      expectClose(mine.h0!, twin.h0!, GRADIENT_TOLERANCE, 'd h0');
      tf.dispose([mine.input, mine.h0!, ...mine.variables, twin.input, twin.h0!, ...twin.variables]);
    });
  });
});
