import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  GRADIENT_TOLERANCE,
  LayersModel,
  ManualModel,
  ManualRNN,
  RNNOutput,
  ShapeError,
  gradientsByName,
} from '../../src';
import { LossGradients, TrainableModel, lossGradients } from '../../src/training';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { STEP_LOOPS, layersFromTorch, manualFromTorch } from '../helpers/models';
import { Fixture, loadFixtures, loadParityFixtures, tensorOf } from '../helpers/fixtures';

/**
 * The dense fixtures with the grid's layout factors (batch first, h0 given, batched) covered
 * pairwise, as parity covers them (`loadParityFixtures`), and every packed fixture.
 */
const fixtures = [...loadParityFixtures(), ...loadFixtures('packed_')];

/**
 * The fixtures' loss, `sum(output·d_output) + sum(h_n·d_h_n)` (`+ sum(c_n·d_c_n)` for an
 * LSTM), backpropagated through `model`.
 */
function fixtureGradients(model: TrainableModel, fixture: Fixture): LossGradients {
  const [dOutput, dHN, input] = [fixture.d_output, fixture.d_h_n, fixture.input].map(tensorOf);
  const dCN = fixture.d_c_n && tensorOf(fixture.d_c_n);
  const [h0, c0] = [fixture.h0, fixture.c0].map((stored) => (stored ? tensorOf(stored) : undefined));
  const objective = ({ output, hN, cN }: RNNOutput): tf.Scalar => {
    const loss = tf.add<tf.Scalar>(tf.sum(tf.mul(output, dOutput)), tf.sum(tf.mul(hN, dHN)));
    return dCN && cN ? tf.add(loss, tf.sum(tf.mul(cN, dCN))) : loss;
  };
  try {
    return lossGradients(model, objective, input, { h0, c0, lengths: fixture.lengths ?? undefined });
  } finally {
    tf.dispose([dOutput, dHN, input, ...[dCN, h0, c0].filter((tensor): tensor is tf.Tensor => tensor !== undefined)]);
  }
}

function disposeGradients({ input, h0, c0, variables }: LossGradients): void {
  tf.dispose([input, ...(h0 ? [h0] : []), ...(c0 ? [c0] : []), ...variables]);
}

/** The gradients of the input and the initial states, keyed as the fixture's `grad`. */
function stateGradients({ input, h0, c0 }: LossGradients): Record<string, tf.Tensor> {
  return { input, ...(h0 && { h0 }), ...(c0 && { c0 }) };
}

/** A model's gradients keyed by PyTorch's names (`gradientsByName`), with those of the input and initial states. */
function namedGradients(model: ManualModel | LayersModel, fixture: Fixture): Record<string, tf.Tensor> {
  const gradients = fixtureGradients(model, fixture);
  const named = gradientsByName(model, gradients.variables);
  tf.dispose(gradients.variables);
  return { ...stateGradients(gradients), ...named };
}

/** Compares every gradient with PyTorch's, then frees them. */
function expectTorchGradients(named: Record<string, tf.Tensor>, fixture: Fixture): void {
  try {
    expect(Object.keys(named).sort()).toEqual(Object.keys(fixture.grad).sort());
    for (const [name, stored] of Object.entries(fixture.grad)) {
      tf.tidy(() => expectClose(named[name], tensorOf(stored), GRADIENT_TOLERANCE, `grad ${name}`));
    }
  } finally {
    tf.dispose(Object.values(named));
  }
}

describeEachBackend(() => {
  describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('gradients of %s match PyTorch autograd', (_, fixture) => {
    test.each(STEP_LOOPS)('hand-written BPTT (%s loop forward)', (loop) => {
      const manual = manualFromTorch(fixture, { loop });
      try {
        expectTorchGradients(namedGradients(manual, fixture), fixture);
      } finally {
        manual.dispose();
      }
    });

    test('tf.layers twin, mapped back by gradientsByName', () => {
      const layers = layersFromTorch(fixture);
      try {
        expectTorchGradients(namedGradients(layers, fixture), fixture);
      } finally {
        layers.dispose();
      }
    });
  });

  describe('lossGradients', () => {
    const cases = loadFixtures(
      'rnn/grid_l2_bi_tanh_bias_bf_h0_batched',
      'rnn/packed_bi_l2_tanh_tm_h0',
      'lstm/grid_l2_bi_bias_bf_h0_batched_p2',
      'lstm/packed_bi_l2_bf_h0_p2',
      'gru/grid_l2_bi_bias_bf_h0_batched',
      'gru/packed_bi_l2_tm_h0',
    );

    const kinds = ['hand-written', 'tf.layers twin'] as const;

    test.each(cases.flatMap((fixture) => kinds.map((kind) => [kind, fixture.name, fixture] as const)))('%s, %s: keeps the tensor count flat', (kind, _, fixture) => {
      const model = kind === 'hand-written' ? manualFromTorch(fixture) : layersFromTorch(fixture);
      try {
        expectNoLeak(() => disposeGradients(fixtureGradients(model, fixture)));
      } finally {
        model.dispose();
      }
    });

    test('returns the loss, and zeros for what the objective does not reach', () => {
      const model = new ManualRNN({ inputSize: 2, hiddenSize: 3, numLayers: 2 }, { seed: 1 });
      const input = tf.randomNormal([4, 1, 2], 0, 1, 'float32', 2);
      const h0 = tf.randomNormal([2, 1, 3], 0, 1, 'float32', 3);
      // Layer 0's final state: neither layer 1's parameters nor its h0 reach it.
      const layer0State = ({ hN }: RNNOutput): tf.Scalar => tf.sum(tf.slice(hN, [0, 0, 0], [1, 1, 3]));
      const gradients = lossGradients(model, layer0State, input, { h0 });
      tf.tidy(() => {
        expect(gradients.loss).toBeCloseTo(layer0State(model.forward(input, h0)).dataSync()[0], 6);
        expect(tf.any(tf.notEqual(gradients.input, 0)).dataSync()[0]).toBe(1);
        const absSum = (grad: tf.Tensor) => tf.sum(tf.abs(grad)).dataSync()[0];
        expect(absSum(tf.slice(gradients.h0 as tf.Tensor, [0, 0, 0], [1, 1, 3]))).toBeGreaterThan(0);
        expect(absSum(tf.slice(gradients.h0 as tf.Tensor, [1, 0, 0], [1, 1, 3]))).toBe(0);
        expect(gradients.variables.map(absSum).map((sum) => sum > 0)).toEqual([true, true, true, true, false, false, false, false]);
      });
      disposeGradients(gradients);
      tf.dispose([input, h0]);
      model.dispose();
    });

    test('an objective that does not return a scalar tensor: a typed error, nothing leaked', () => {
      const model = new ManualRNN({ inputSize: 2, hiddenSize: 3 }, { seed: 1 });
      const input = tf.zeros([4, 1, 2]);
      const before = tf.memory().numTensors;
      const notScalar = (({ output }: RNNOutput) => output) as unknown as (prediction: RNNOutput) => tf.Scalar;
      expect(() => lossGradients(model, notScalar, input)).toThrow(ShapeError);
      expect(() => lossGradients(model, notScalar, input)).toThrow(
        /^objective: expected a function returning a scalar tf\.Tensor, got one returning \[4, 1, 3\]$/,
      );
      const notTensor = (() => 0.5) as unknown as (prediction: RNNOutput) => tf.Scalar;
      expect(() => lossGradients(model, notTensor, input)).toThrow(ArgumentError);
      expect(() => lossGradients(model, notTensor, input)).toThrow(
        /^objective: expected a function returning a scalar tf\.Tensor, got one returning 0\.5$/,
      );
      expect(tf.memory().numTensors).toBe(before);
      input.dispose();
      model.dispose();
    });
  });
});
