import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  FullRNNConfig,
  GRADIENT_TOLERANCE,
  ManualRNN,
  RNNOutput,
  ShapeError,
  checkConfig,
  numDirections,
  parameterSpecs,
} from '../../src';
import { LossGradients, TrainableModel, lossGradients } from '../../src/training';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { STEP_LOOPS, layersFromTorch, manualFromTorch } from '../helpers/models';
import { Fixture, loadDenseFixtures, loadFixtures, tensorOf } from '../helpers/fixtures';

const fixtures = [...loadDenseFixtures(), ...loadFixtures('packed_')];

/** The fixtures' loss, `sum(output·d_output) + sum(h_n·d_h_n)`, backpropagated through `model`. */
function fixtureGradients(model: TrainableModel, fixture: Fixture): LossGradients {
  const dOutput = tensorOf(fixture.d_output);
  const dHN = tensorOf(fixture.d_h_n);
  const input = tensorOf(fixture.input);
  const h0 = fixture.h0 ? tensorOf(fixture.h0) : undefined;
  const objective = ({ output, hN }: RNNOutput): tf.Scalar => tf.add(tf.sum(tf.mul(output, dOutput)), tf.sum(tf.mul(hN, dHN)));
  try {
    return lossGradients(model, objective, input, { h0, lengths: fixture.lengths ?? undefined });
  } finally {
    tf.dispose([dOutput, dHN, input, ...(h0 ? [h0] : [])]);
  }
}

function disposeGradients({ input, h0, variables }: LossGradients): void {
  tf.dispose([input, ...(h0 ? [h0] : []), ...variables]);
}

/** `fixtureGradients` keyed as the fixture's `grad`: `input`, `h0` and PyTorch's parameter names. */
function gradientsByName(
  model: TrainableModel,
  fixture: Fixture,
  parameterNames: (config: FullRNNConfig) => string[][],
): Record<string, tf.Tensor> {
  const { input, h0, variables } = fixtureGradients(model, fixture);
  const named: Record<string, tf.Tensor> = { input, ...(h0 ? { h0 } : {}) };
  const names = parameterNames(model.config);
  variables.forEach((grad, index) => names[index].forEach((name) => (named[name] = grad)));
  return named;
}

/** ManualRNN's variables are PyTorch's parameters, in PyTorch's order. */
const manualNames = (config: FullRNNConfig) => parameterSpecs(config).map(({ name }) => [name]);

/**
 * The twin's variables are, per layer and direction, kernel (`W_ihᵀ`), recurrent kernel
 * (`W_hhᵀ`) and one bias, whose gradient is that of both `b_ih` and `b_hh`.
 */
const twinNames = (config: FullRNNConfig) => {
  const specs = parameterSpecs(config);
  const perDirection = config.bias ? 3 : 2;
  const groups: string[][] = Array.from({ length: config.numLayers * numDirections(config) * perDirection }, () => []);
  specs.forEach(({ name, kind, layer, direction }) => {
    const slot = kind === 'weight_ih' ? 0 : kind === 'weight_hh' ? 1 : 2;
    groups[(layer * numDirections(config) + direction) * perDirection + slot].push(name);
  });
  return groups;
};

/** Compares every gradient with PyTorch's (Keras kernels transposed back), then frees them. */
function expectTorchGradients(named: Record<string, tf.Tensor>, fixture: Fixture, transposeWeights: boolean): void {
  try {
    expect(Object.keys(named).sort()).toEqual(Object.keys(fixture.grad).sort());
    for (const [name, stored] of Object.entries(fixture.grad)) {
      tf.tidy(() => {
        const grad = transposeWeights && name.startsWith('weight_') ? tf.transpose(named[name]) : named[name];
        expectClose(grad, tensorOf(stored), GRADIENT_TOLERANCE, `grad ${name}`);
      });
    }
  } finally {
    tf.dispose([...new Set(Object.values(named))]);
  }
}

describeEachBackend(() => {
  describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('gradients of %s match PyTorch autograd', (_, fixture) => {
    test.each(STEP_LOOPS)('hand-written BPTT (%s loop forward)', (loop) => {
      const manual = manualFromTorch(fixture, { loop });
      try {
        expectTorchGradients(gradientsByName(manual, fixture, manualNames), fixture, false);
      } finally {
        manual.dispose();
      }
    });

    test('tf.layers twin, mapped back (kernel = W_ihᵀ, recurrent kernel = W_hhᵀ, bias = b_ih and b_hh)', () => {
      const layers = layersFromTorch(fixture);
      try {
        expectTorchGradients(gradientsByName(layers, fixture, twinNames), fixture, true);
      } finally {
        layers.dispose();
      }
    });
  });

  describe('lossGradients', () => {
    const [dense] = loadFixtures('grid_l2_bi_tanh_bias_bf_h0_batched');
    const [packed] = loadFixtures('packed_bi_l2_tanh_tm_h0');

    test.each([
      ['hand-written', dense],
      ['hand-written, packed', packed],
      ['tf.layers twin', dense],
      ['tf.layers twin, packed', packed],
    ] as const)('%s: keeps the tensor count flat', (kind, fixture) => {
      const model = kind.startsWith('hand') ? manualFromTorch(fixture) : layersFromTorch(fixture);
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
        /^objective: expected a function returning a scalar tf\.Tensor, got one returning number$/,
      );
      expect(tf.memory().numTensors).toBe(before);
      input.dispose();
      model.dispose();
    });
  });
});

test('twin parameter groups cover every PyTorch parameter once', () => {
  const config = checkConfig({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
  expect(twinNames(config).flat().sort()).toEqual(parameterSpecs(config).map(({ name }) => name).sort());
});
