import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  ConfigError,
  DtypeError,
  LayersLSTM,
  LayersGRU,
  LayersRNN,
  ManualGRU,
  ManualLSTM,
  ManualRNN,
  RNNConfig,
  RecurrentModel,
  ShapeError,
} from '../../src';
import { lossGradients } from '../../src/training';
import { describeEachBackend } from '../helpers/backends';

/** Seven: a prime, so no size of the valid shapes divides it. */
const SEVEN = 7;

const IMPLEMENTATIONS: [string, (config: RNNConfig) => RecurrentModel][] = [
  ['hand-written', (config) => new ManualRNN(config, { seed: 1 })],
  ['tf.layers twin', (config) => new LayersRNN(config, { seed: 1 })],
];

function withSeven(shape: number[], axis: number): number[] {
  return shape.map((size, index) => (index === axis ? SEVEN : size));
}

/** Expects `call` to throw `type` matching `message`, having created no tensor. */
function expectRejected(call: () => unknown, type: new (...args: never[]) => Error, message: RegExp): void {
  const before = tf.memory().numTensors;
  expect(call).toThrow(type);
  expect(call).toThrow(message);
  expect(tf.memory().numTensors).toBe(before);
}

describeEachBackend(() => {
  describe.each(IMPLEMENTATIONS)('%s', (_, create) => {
    describe.each([
      ['batchFirst', { batchFirst: true }, [2, 5, 3], /\[batch, seq, 3\] \(batchFirst\)/],
      ['time-major', { batchFirst: false }, [5, 2, 3], /\[seq, batch, 3\]/],
    ] as const)('%s input', (_, layout, inputShape, pattern) => {
      const config = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, ...layout };
      let model: RecurrentModel;
      beforeAll(() => {
        model = create(config);
      });
      afterAll(() => model.dispose());

      test('input feature size 7', () => {
        const input = tf.zeros(withSeven([...inputShape], 2));
        expectRejected(
          () => model.forward(input),
          ShapeError,
          new RegExp(`^input: expected ${pattern.source} with seq, batch ≥ 1, got \\[${withSeven([...inputShape], 2).join(', ')}\\]$`),
        );
        input.dispose();
      });

      test.each([0, 1])('input axis %i set to 7 is a valid batch or length', (axis) => {
        const shape = withSeven([...inputShape], axis);
        const input = tf.zeros(shape);
        const { output, hN } = model.forward(input);
        expect(output.shape).toEqual([shape[0], shape[1], 8]);
        expect(hN.shape).toEqual([4, shape[layout.batchFirst ? 0 : 1], 4]);
        tf.dispose([input, output, hN]);
      });

      test.each([0, 1, 2])('h0 axis %i set to 7', (axis) => {
        const input = tf.zeros([...inputShape]);
        const h0 = tf.zeros(withSeven([4, 2, 4], axis));
        expectRejected(
          () => model.forward(input, h0),
          ShapeError,
          new RegExp(`^h0: expected \\[4, 2, 4\\] \\[D·numLayers, batch, hiddenSize\\], got \\[${withSeven([4, 2, 4], axis).join(', ')}\\]$`),
        );
        tf.dispose([input, h0]);
      });

      test.each([[[3]], [[2, 5, 3, 1]]])('input of shape %j (wrong rank)', (shape) => {
        const input = tf.zeros(shape);
        expectRejected(
          () => model.forward(input),
          ShapeError,
          new RegExp(`^input: expected a 3-D .* or 2-D \\[seq, 3\\] \\(unbatched\\) tensor, got ${shape.length}-D`),
        );
        input.dispose();
      });

      test('batched h0 for unbatched input', () => {
        const input = tf.zeros([5, 3]);
        const h0 = tf.zeros([4, 1, 4]);
        expectRejected(
          () => model.forward(input, h0),
          ShapeError,
          /^h0: expected \[4, 4\] \[D·numLayers, hiddenSize\] \(unbatched\), got \[4, 1, 4\]$/,
        );
        tf.dispose([input, h0]);
      });

      test('unbatched h0 for batched input', () => {
        const input = tf.zeros([...inputShape]);
        const h0 = tf.zeros([4, 4]);
        expectRejected(() => model.forward(input, h0), ShapeError, /^h0: expected \[4, 2, 4\] .*, got \[4, 4\]$/);
        tf.dispose([input, h0]);
      });

      test('int32 input', () => {
        const input = tf.zeros([...inputShape], 'int32');
        expectRejected(() => model.forward(input), DtypeError, /^input: expected float32, got int32$/);
        input.dispose();
      });

      test('input that is not a tensor', () => {
        expectRejected(() => model.forward([[1, 2, 3]] as never), ArgumentError, /^input: expected a tf\.Tensor, got Array\(1\) \(wrap it with tf\.tensor\(data, shape\)\)$/);
      });

      test('disposed input', () => {
        const input = tf.zeros([...inputShape]);
        input.dispose();
        expectRejected(() => model.forward(input), ArgumentError, /^input: expected a live tf\.Tensor, got a disposed tf\.Tensor$/);
      });

      test('empty sequence', () => {
        const input = tf.zeros(layout.batchFirst ? [2, 0, 3] : [0, 2, 3]);
        expectRejected(() => model.forward(input), ShapeError, /^input: expected .* with seq, batch ≥ 1, got/);
        input.dispose();
      });
    });
  });

  describe.each([
    ['hand-written', (config: RNNConfig) => new ManualLSTM(config, { seed: 1 })],
    ['tf.layers twin', (config: RNNConfig) => new LayersLSTM(config, { seed: 1 })],
  ] as const)('%s LSTM: (h0, c0)', (_, create) => {
    // nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2): h [4, N, 2], c [4, N, 4].
    const config = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2 };
    let model: RecurrentModel;
    let input: tf.Tensor;
    let h0: tf.Tensor;
    let c0: tf.Tensor;
    beforeAll(() => {
      model = create(config);
      [input, h0, c0] = [tf.zeros([5, 2, 3]), tf.zeros([4, 2, 2]), tf.zeros([4, 2, 4])];
    });
    afterAll(() => {
      model.dispose();
      tf.dispose([input, h0, c0]);
    });

    test.each([0, 1, 2])('c0 axis %i set to 7', (axis) => {
      const wrong = tf.zeros(withSeven([4, 2, 4], axis));
      const shape = withSeven([4, 2, 4], axis).join(', ');
      expectRejected(
        () => model.forward(input, [h0, wrong] as never),
        ShapeError,
        new RegExp(`^c0: expected \\[4, 2, 4\\] \\[D·numLayers, batch, hiddenSize\\], got \\[${shape}\\]$`),
      );
      wrong.dispose();
    });

    test('h0 of hiddenSize features where projSize is expected', () => {
      const wrong = tf.zeros([4, 2, 4]);
      expectRejected(() => model.forward(input, [wrong, c0] as never), ShapeError, /^h0: expected \[4, 2, 2\] \[D·numLayers, batch, projSize\], got \[4, 2, 4\]$/);
      wrong.dispose();
    });

    test('h0 alone, or a pair of the wrong length', () => {
      expectRejected(
        () => model.forward(input, h0 as never),
        ArgumentError,
        /^hx: expected a pair \[h0, c0\] of tf\.Tensors \(nn\.LSTM's \(h_0, c_0\)\), got tf\.Tensor float32 \[4, 2, 2\]$/,
      );
      expectRejected(() => model.forward(input, [h0] as never), ArgumentError, /^hx: expected a pair .*, got Array\(1\)$/);
    });

    test('lossGradients: h0 without c0, and c0 without h0', () => {
      const objective = ({ output }: { output: tf.Tensor }) => tf.sum(output) as tf.Scalar;
      expectRejected(
        () => lossGradients(model as never, objective, input, { h0 }),
        ArgumentError,
        /^c0: expected a tf\.Tensor given with h0 \(nn\.LSTM takes \(h_0, c_0\) together\), got nothing$/,
      );
      expectRejected(() => lossGradients(model as never, objective, input, { c0 }), ArgumentError, /^h0: expected a tf\.Tensor given with c0/);
    });
  });

  describe.each([
    ['hand-written', (config: RNNConfig) => new ManualGRU(config, { seed: 1 })],
    ['tf.layers twin', (config: RNNConfig) => new LayersGRU(config, { seed: 1 })],
  ] as const)('%s GRU', (_, create) => {
    test('a c0 is refused: only an LSTM has a cell state', () => {
      const model = create({ inputSize: 3, hiddenSize: 4 });
      const [input, c0] = [tf.zeros([5, 2, 3]), tf.zeros([1, 2, 4])];
      const objective = ({ output }: { output: tf.Tensor }) => tf.sum(output) as tf.Scalar;
      expectRejected(
        () => lossGradients(model as never, objective, input, { c0 }),
        ArgumentError,
        /^c0: expected nothing for GRU \(only an LSTM has a cell state\), got a c0$/,
      );
      tf.dispose([input, c0]);
      model.dispose();
    });

    test('[h0, c0] is refused as what a GRU does not take, h0 alone being its state', () => {
      const model = create({ inputSize: 3, hiddenSize: 4 });
      const [input, h0, c0] = [tf.zeros([5, 2, 3]), tf.zeros([1, 2, 4]), tf.zeros([1, 2, 4])];
      expectRejected(() => model.forward(input, [h0, c0] as never), ArgumentError, /^hx: expected one tf\.Tensor h0 \(a GRU takes only h0; \[h0, c0\] is an LSTM's\), got Array\(2\)$/);
      tf.dispose([input, h0, c0]);
      model.dispose();
    });
  });

  describe.each(IMPLEMENTATIONS)('%s, given what is not a tensor', (_, create) => {
    test('a Float32Array input names its type and length, and how to wrap it', () => {
      const model = create({ inputSize: 3, hiddenSize: 4 });
      expectRejected(() => model.forward(new Float32Array(6) as never), ArgumentError, /^input: expected a tf\.Tensor, got Float32Array\(6\) \(wrap it with tf\.tensor\(data, shape\)\)$/);
      expectRejected(() => model.forward(undefined as never), ArgumentError, /^input: expected a tf\.Tensor, got undefined$/);
      expectRejected(() => model.forward(3 as never), ArgumentError, /^input: expected a tf\.Tensor, got 3$/);
      model.dispose();
    });

    test('a parameter the caller disposed is named in a typed error, before any work', () => {
      const model = create({ inputSize: 3, hiddenSize: 4 });
      const input = tf.zeros([5, 2, 3]);
      const [first] = (model as unknown as { trainableVariables(): tf.Variable[] }).trainableVariables();
      first.dispose();
      expectRejected(() => model.forward(input), ArgumentError, /^(weight_ih_l0|layers\[0\]\.forward\.kernel): expected a live parameter of the (ManualRNN|LayersRNN) \(dispose the model, not its parameters\), got a disposed tf\.Variable$/);
      input.dispose();
      model.dispose();
    });
  });
});

test('a twin\'s initialization is one of those there are', () => {
  expect(() => new LayersGRU({ inputSize: 3, hiddenSize: 4 }, { initialization: 'orthogonal' as never })).toThrow(
    /^initialization: expected one of 'pytorch', 'zeros', got 'orthogonal'$/,
  );
  const zeros = new LayersGRU({ inputSize: 3, hiddenSize: 4 }, { initialization: 'zeros' });
  expect(tf.tidy(() => zeros.trainableVariables().map((variable) => tf.any(tf.notEqual(variable, 0)).dataSync()[0]))).toEqual([0, 0, 0]);
  zeros.dispose();
});

describe('the mode is the class\'s', () => {
  test.each([
    ['ManualRNN', () => new ManualRNN({ mode: 'LSTM', inputSize: 3, hiddenSize: 4 }), /^mode: expected 'RNN' or nothing \(a ManualRNN\), got 'LSTM'$/],
    ['ManualLSTM', () => new ManualLSTM({ mode: 'GRU', inputSize: 3, hiddenSize: 4 } as never), /^mode: expected 'LSTM' or nothing \(a ManualLSTM\), got 'GRU'$/],
    ['LayersGRU', () => new LayersGRU({ mode: 'RNN', inputSize: 3, hiddenSize: 4 } as never), /^mode: expected 'GRU' or nothing \(a LayersGRU\), got 'RNN'$/],
    ['ManualGRU with projSize', () => new ManualGRU({ inputSize: 3, hiddenSize: 4, projSize: 2 } as never), /^projSize: expected 0 for GRU/],
    ['ManualRNN with hiddenSize 2^53', () => new ManualRNN({ inputSize: 3, hiddenSize: 2 ** 53 }), /^hiddenSize: expected a size whose weights fit in tensors \(at most 2147483647 values per parameter\), got 9007199254740992$/],
    ['LayersGRU with inputSize 2^40', () => new LayersGRU({ inputSize: 2 ** 40, hiddenSize: 4 }), /^inputSize: expected a size whose weights fit in tensors \(at most 2147483647 values per parameter\), got 1099511627776$/],
  ] as const)('%s', (_, create, message) => {
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(message);
  });
});
