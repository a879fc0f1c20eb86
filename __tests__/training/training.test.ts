import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  FORWARD_TOLERANCE,
  LayersRNN,
  ManualRNN,
  RNNConfig,
  RNNOutput,
  RecurrentModel,
  ShapeError,
  checkConfig,
  copyLayersToManual,
  copyManualToLayers,
  createLayersModel,
  createManualModel,
  parameterSpecs,
} from '../../src';
import { SequenceLoss, TrainableModel, trainStep } from '../../src/training';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/** Mean squared error of the last layer's output against a target of the same shape. */
const outputMse: SequenceLoss = ({ output }, target) => tf.losses.meanSquaredError(target, output) as tf.Scalar;

/** Values of every trainable variable, read to the host. */
function snapshot(model: TrainableModel): Float32Array[] {
  return model.trainableVariables().map((variable) => variable.dataSync() as Float32Array);
}

/** Runs `body` with the models and frees them (and anything else listed) afterwards. */
function using(resources: Array<{ dispose(): void }>, body: () => void): void {
  try {
    body();
  } finally {
    resources.forEach((resource) => resource.dispose());
  }
}

describeEachBackend(() => {
  describe('trainStep learns a toy task', () => {
    test.each(['RNN', 'LSTM', 'GRU'] as const)('%s, running sum: the loss falls at least tenfold in 40 Adam steps', (mode) => {
      const hiddenSize = 8;
      const model = createManualModel({ mode, inputSize: 1, hiddenSize, batchFirst: true }, { seed: 7 });
      const input = tf.randomUniform([16, 8, 1], -1, 1, 'float32', 11);
      const target = tf.tidy(() => tf.mul(tf.cumsum(input, 1), 0.3));
      // A linear readout `[N, L, H] → [N, L, 1]`, trained with the model.
      const readout = tf.variable(tf.randomUniform([hiddenSize, 1], -0.3, 0.3, 'float32', 5));
      const readoutBias = tf.variable(tf.zeros([1]));
      const runningSumLoss: SequenceLoss = ({ output }, runningSum) => {
        const flat = tf.reshape(output, [-1, hiddenSize]) as tf.Tensor2D;
        const predicted = tf.reshape(tf.add(tf.matMul(flat, readout), readoutBias), runningSum.shape);
        return tf.losses.meanSquaredError(runningSum, predicted) as tf.Scalar;
      };
      const optimizer = tf.train.adam(0.03);
      using([model, optimizer, input, target, readout, readoutBias], () => {
        const losses = Array.from({ length: 40 }, () =>
          trainStep(model, optimizer, runningSumLoss, input, target, { extraVariables: [readout, readoutBias] }),
        );
        expect(losses.every(Number.isFinite)).toBe(true);
        expect(losses[0] / losses[losses.length - 1]).toBeGreaterThanOrEqual(10);
      });
    });

    test('returns the loss before the update, and applies the update', () => {
      const model = new ManualRNN({ inputSize: 2, hiddenSize: 3 }, { seed: 3 });
      const input = tf.randomNormal([5, 2, 2], 0, 1, 'float32', 4);
      const target = tf.zeros([5, 2, 3]);
      const optimizer = tf.train.sgd(0.1);
      using([model, optimizer, input, target], () => {
        const before = snapshot(model);
        const expectedLoss = tf.tidy(() => outputMse(model.forward(input), target).dataSync()[0]);
        expect(trainStep(model, optimizer, outputMse, input, target)).toBeCloseTo(expectedLoss, 6);
        snapshot(model).forEach((values, index) => expect(values).not.toEqual(before[index]));
      });
    });
  });

  describe.each<RNNConfig>([
    { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true },
    { mode: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, batchFirst: true, projSize: 4 },
    { mode: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true },
  ])('training keeps the two implementations in agreement (%j)', (config) => {
    const trainingInput = () => tf.randomNormal([4, 6, 3], 0, 1, 'float32', 21);
    const trainingTarget = () => tf.randomUniform([4, 6, 8], -0.5, 0.5, 'float32', 22);
    const probe = () => tf.randomNormal([3, 7, 3], 0, 1, 'float32', 23);

    /** Trains `trained` for ten steps, copies its weights into `other`, then compares both in eval mode. */
    function expectAgreementAfterTraining(trained: TrainableModel, other: RecurrentModel, copy: () => void): void {
      const input = trainingInput();
      const target = trainingTarget();
      const probeInput = probe();
      const optimizer = tf.train.adam(0.05);
      using([trained, other, input, target, probeInput, optimizer], () => {
        const losses = Array.from({ length: 10 }, () => trainStep(trained, optimizer, outputMse, input, target));
        expect(losses[9]).toBeLessThan(losses[0]);
        copy();
        trained.training = false;
        other.training = false;
        const [expected, actual] = [trained, other].map((model) => model.forward(probeInput));
        using([...Object.values(expected), ...Object.values(actual)], () => {
          expectClose(actual.output, expected.output, FORWARD_TOLERANCE, 'output');
          expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, 'h_n');
          if (expected.cN) expectClose(actual.cN!, expected.cN, FORWARD_TOLERANCE, 'c_n');
        });
      });
    }

    test('tf.layers twin trained, weights copied into the hand-written model', () => {
      const layers = createLayersModel(config, { seed: 1 });
      const manual = createManualModel(config, { seed: 2 });
      expectAgreementAfterTraining(layers, manual, () => copyLayersToManual(layers, manual));
    });

    test('hand-written model trained, weights copied into the twin', () => {
      const manual = createManualModel(config, { seed: 3 });
      const layers = createLayersModel(config, { seed: 4 });
      expectAgreementAfterTraining(manual, layers, () => copyManualToLayers(manual, layers));
    });
  });

  describe('dropout between layers, as PyTorch: training mode only, never after the last layer', () => {
    const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, dropout: 0.5, nonlinearity: 'relu', batchFirst: true };
    const [batchSize, seqLen, hiddenSize] = [4, 10, 4];

    /**
     * Layer 0 sees positive inputs through positive weights, so its outputs y are positive;
     * layer 1 is `relu(identity · dropout(y))` with no recurrence, so its output shows the
     * dropout mask itself: 0 where dropped, 2y (scaled by 1/(1 − 0.5)) where kept.
     */
    function transparentSecondLayer(): ManualRNN {
      // The tf-op path in both modes (eval-mode calls this small would run on host arrays), so
      // layer 0's states can be compared bit for bit.
      const model = new ManualRNN(config, { seed: 5, loop: 'tensor' });
      const values: Record<string, tf.Tensor> = tf.tidy(() =>
        Object.fromEntries(
          parameterSpecs(checkConfig(config)).map(({ name, shape }, index) => {
            if (name === 'weight_ih_l1') return [name, tf.eye(hiddenSize)];
            if (name.endsWith('_l1')) return [name, tf.zeros(shape)];
            return [name, tf.randomUniform(shape, 0.05, 0.3, 'float32', 30 + index)];
          }),
        ),
      );
      model.loadStateDict(values);
      tf.dispose(Object.values(values));
      return model;
    }

    const implementations: Array<[string, () => RecurrentModel & { train(mode?: boolean): unknown; eval(): unknown }]> = [
      ['hand-written', transparentSecondLayer],
      [
        'tf.layers twin',
        () => {
          const manual = transparentSecondLayer();
          const layers = new LayersRNN(config);
          copyManualToLayers(manual, layers);
          manual.dispose();
          return layers;
        },
      ],
    ];

    test.each(implementations)('%s', (_, build) => {
      const model = build();
      const input = tf.randomUniform([batchSize, seqLen, 3], 0.1, 1, 'float32', 40);
      const read = ({ output, hN }: RNNOutput) => {
        const values = { output: output.dataSync() as Float32Array, hN: hN.dataSync() as Float32Array };
        tf.dispose([output, hN]);
        return values;
      };
      using([model, input], () => {
        model.eval();
        const evaluated = read(model.forward(input));
        expect(read(model.forward(input))).toEqual(evaluated);
        model.train();
        const [first, second] = [read(model.forward(input)), read(model.forward(input))];
        expect(first.output).not.toEqual(second.output);

        expect(evaluated.output.every((value) => value > 0)).toBe(true);
        let dropped = 0;
        first.output.forEach((value, index) => {
          if (value === 0) dropped++;
          else expect(value).toBeCloseTo(2 * evaluated.output[index], 5);
        });
        // Rate 0.5 over 160 values; the bounds are ~7 standard deviations wide.
        expect(dropped).toBeGreaterThan(160 * 0.2);
        expect(dropped).toBeLessThan(160 * 0.8);
        // hN holds each layer's own states: layer 0's are those of eval mode; layer 1's are its last outputs.
        const layerSize = batchSize * hiddenSize;
        expect(first.hN.subarray(0, layerSize)).toEqual(evaluated.hN.subarray(0, layerSize));
        const lastOutputs = Array.from({ length: batchSize }, (__, b) =>
          Array.from(first.output.subarray((b * seqLen + seqLen - 1) * hiddenSize, (b * seqLen + seqLen) * hiddenSize)),
        ).flat();
        expect(Array.from(first.hN.subarray(layerSize))).toEqual(lastOutputs);
      });
    });
  });

  describe('trainStep checks its arguments before any work', () => {
    const config: RNNConfig = { inputSize: 3, hiddenSize: 4, batchFirst: true };

    function expectRejected(call: (model: ManualRNN) => unknown, errorType: typeof ArgumentError, message: RegExp): void {
      const model = new ManualRNN(config, { seed: 8 });
      using([model], () => {
        const before = snapshot(model);
        const tensors = tf.memory().numTensors;
        expect(() => call(model)).toThrow(errorType);
        expect(() => call(model)).toThrow(message);
        expect(tf.memory().numTensors).toBe(tensors);
        expect(snapshot(model)).toEqual(before);
      });
    }

    /** Calls `body` with zero tensors of the given shapes, and frees them. */
    const withZeros = (shapes: number[][], body: (...tensors: tf.Tensor[]) => unknown) => {
      const tensors = shapes.map((shape) => tf.zeros(shape));
      try {
        return body(...tensors);
      } finally {
        tf.dispose(tensors);
      }
    };
    const [inputShape, targetShape] = [[2, 5, 3], [2, 5, 4]];

    test('optimizer', () => {
      expectRejected(
        (model) => withZeros([inputShape, targetShape], (x, y) => trainStep(model, {} as tf.Optimizer, outputMse, x, y)),
        ArgumentError,
        /^optimizer: expected a tf\.Optimizer \(e\.g\. tf\.train\.adam\(0\.01\)\), got Object \{\}$/,
      );
      // A live tensor is described as one, not as a disposed tensor.
      const learningRate = tf.scalar(0.1);
      expectRejected(
        (model) => withZeros([inputShape, targetShape], (x, y) => trainStep(model, learningRate as unknown as tf.Optimizer, outputMse, x, y)),
        ArgumentError,
        /^optimizer: expected a tf\.Optimizer \(e\.g\. tf\.train\.adam\(0\.01\)\), got tf\.Tensor float32 \[\]$/,
      );
      learningRate.dispose();
    });

    test('input and lengths', () => {
      const optimizer = tf.train.sgd(0.1);
      expectRejected(
        (model) => withZeros([[2, 5, 2], targetShape], (x, y) => trainStep(model, optimizer, outputMse, x, y)),
        ShapeError,
        /^input: expected \[batch, seq, 3\] \(batchFirst\) with seq, batch ≥ 1, got \[2, 5, 2\]$/,
      );
      expectRejected(
        (model) =>
          withZeros([inputShape, targetShape], (x, y) => trainStep(model, optimizer, outputMse, x, y, { lengths: [5, 6] })),
        ArgumentError,
        /^lengths\[1\]: expected an integer in \[1, 5\] \(the sequence length\), got 6$/,
      );
      optimizer.dispose();
    });

    test('model', () => {
      const optimizer = tf.train.sgd(0.1);
      expectRejected(
        () => withZeros([inputShape, targetShape], (x, y) => trainStep({} as TrainableModel, optimizer, outputMse, x, y)),
        ArgumentError,
        /^model: expected a hand-written model or twin \(a RecurrentModel with trainableVariables\(\)\), got Object \{\}$/,
      );
      optimizer.dispose();
    });

    test('a loss that is not a scalar is rejected without updating or leaking', () => {
      const optimizer = tf.train.sgd(0.1);
      const notScalar = (({ output }: RNNOutput) => tf.square(output)) as unknown as SequenceLoss;
      expectRejected(
        (model) => withZeros([inputShape, targetShape], (x, y) => trainStep(model, optimizer, notScalar, x, y)),
        ShapeError,
        /^lossFn: expected a function returning a scalar tf\.Tensor, got one returning \[2, 5, 4\]$/,
      );
      optimizer.dispose();
    });
  });

  describe('memory', () => {
    const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, dropout: 0.3 };
    test.each([
      ['hand-written', () => new ManualRNN(config, { seed: 9 })],
      ['tf.layers twin', () => new LayersRNN(config, { seed: 9 })],
    ] as const)('%s: trainStep keeps the tensor count flat (packed input too)', (_, build) => {
      const model = build();
      const input = tf.randomNormal([5, 3, 3], 0, 1, 'float32', 10);
      const target = tf.zeros([5, 3, 8]);
      const optimizer = tf.train.adam(0.01);
      using([model, input, target, optimizer], () => {
        expectNoLeak(() => trainStep(model, optimizer, outputMse, input, target));
        expectNoLeak(() => trainStep(model, optimizer, outputMse, input, target, { lengths: [5, 2, 3] }));
      });
    });
  });
});
