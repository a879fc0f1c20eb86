import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  DtypeError,
  LayersRNN,
  ManualRNN,
  RNNConfig,
  RNNOutput,
  StreamingRNN,
  copyLayersToManual,
  FORWARD_TOLERANCE,
  copyManualToLayers,
  lossGradients,
  toHostArrays,
  trainStep,
} from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true };

/** Values of every parameter, read to the host. */
function snapshot(model: ManualRNN): Float32Array[] {
  return model.trainableVariables().map((variable) => variable.dataSync() as Float32Array);
}

/** Expects `call` to throw `errorType` with `message` twice, leaving the tensor count as it was. */
function expectRejected(call: () => unknown, errorType: typeof ArgumentError, message: RegExp): void {
  const tensors = tf.memory().numTensors;
  expect(call).toThrow(errorType);
  expect(call).toThrow(message);
  expect(tf.memory().numTensors).toBe(tensors);
}

const sum = ({ output }: RNNOutput): tf.Scalar => tf.sum(output);

describeEachBackend(() => {
  describe('loadStateDict checks every entry before assigning any', () => {
    // The last parameter in PyTorch's order: assigning in order would overwrite all others first.
    const key = 'bias_hh_l1_reverse';
    const disposed = (): tf.Tensor => {
      const tensor = tf.zeros([4]);
      tensor.dispose();
      return tensor;
    };
    test.each([
      ['a host array of plain numbers', () => ({ shape: [4], data: [0, 0, 0, 0] }), ArgumentError, /^bias_hh_l1_reverse: expected a tf\.Tensor, got Object \{shape, data\}$/],
      ['a host array short of its shape', () => ({ shape: [4], data: new Float32Array(3) }), ArgumentError, /^bias_hh_l1_reverse: expected 4 values for shape \[4\], got 3$/],
      ['null', (): null => null, ArgumentError, /^bias_hh_l1_reverse: expected a tf\.Tensor, got null$/],
      ['a disposed tensor', disposed, ArgumentError, /^bias_hh_l1_reverse: expected a live tf\.Tensor, got a disposed tf\.Tensor$/],
      ['an int32 tensor', () => tf.zeros([4], 'int32'), DtypeError, /^bias_hh_l1_reverse: expected float32, got int32$/],
    ] as const)('%s: a typed error naming the key, every parameter unchanged', (_, badEntry, errorType, message) => {
      const model = new ManualRNN(config, { seed: 1 });
      const other = new ManualRNN(config, { seed: 2 });
      const entry = badEntry();
      const stateDict = { ...other.stateDict(), [key]: entry } as Record<string, tf.Tensor>;
      const before = snapshot(model);
      expectRejected(() => model.loadStateDict(stateDict), errorType, message);
      expect(snapshot(model)).toEqual(before);
      tf.dispose(entry instanceof tf.Tensor ? entry : []);
      model.dispose();
      other.dispose();
    });

    test.each([
      ['hand-written', () => new ManualRNN(config, { seed: 1 })],
      ['tf.layers twin', () => new LayersRNN(config, { seed: 1 })],
    ] as const)('%s: takes host arrays, as the top-level loadStateDict returns them, with no tensor left over', (_, create) => {
      const source = new ManualRNN(config, { seed: 5 }).eval();
      const hostArrays = toHostArrays(source.stateDict());
      const model = create().eval();
      const tensors = tf.memory().numTensors;
      model.loadStateDict(hostArrays);
      expect(tf.memory().numTensors).toBe(tensors);
      const input = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
      const [expected, actual] = [source, model].map((each) => each.forward(input));
      expectClose(actual.output, expected.output, FORWARD_TOLERANCE, 'output');
      tf.dispose([input, expected.output, expected.hN, actual.output, actual.hN]);
      source.dispose();
      model.dispose();
    });

    test('a state dict that is not an object', () => {
      const model = new ManualRNN(config, { seed: 1 });
      expectRejected(
        () => model.loadStateDict(null as unknown as Record<string, tf.Tensor>),
        ArgumentError,
        /^stateDict: expected an object of tf\.Tensors \(or host arrays\) keyed by parameter name, got null$/,
      );
      model.dispose();
    });
  });

  describe('a disposed model throws a typed error from every method', () => {
    let input: tf.Tensor;
    let h0: tf.Tensor;
    let manual: ManualRNN;
    let layers: LayersRNN;
    let disposedManual: ManualRNN;
    let disposedLayers: LayersRNN;
    let optimizer: tf.Optimizer;
    beforeAll(() => {
      optimizer = tf.train.sgd(0.1);
      input = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
      h0 = tf.randomNormal([4, 2, 4], 0, 1, 'float32', 4);
      manual = new ManualRNN(config, { seed: 1 });
      layers = new LayersRNN(config, { seed: 2 });
      disposedManual = new ManualRNN(config, { seed: 3 });
      disposedManual.dispose();
      disposedLayers = new LayersRNN(config, { seed: 4 });
      disposedLayers.dispose();
    });
    afterAll(() => {
      tf.dispose([input, h0]);
      manual.dispose();
      layers.dispose();
      optimizer.dispose();
    });

    const bothModels = (model: () => ManualRNN | LayersRNN) => [
      ['forward', () => model().forward(input, h0, { lengths: [5, 2] })],
      ['train', () => model().train()],
      ['eval', () => model().eval()],
      ['trainableVariables', () => model().trainableVariables()],
      ['trainStep', () => trainStep(model(), optimizer, sum, input, input, { h0 })],
      ['lossGradients', () => lossGradients(model(), sum, input, { h0 })],
    ] as const;

    test.each([
      ...bothModels(() => disposedManual),
      ['namedParameters', () => disposedManual.namedParameters()],
      ['stateDict', () => disposedManual.stateDict()],
      ['loadStateDict', () => disposedManual.loadStateDict(manual.stateDict())],
      ['copyManualToLayers from it', () => copyManualToLayers(disposedManual, layers)],
      ['copyLayersToManual into it', () => copyLayersToManual(layers, disposedManual)],
    ] as const)('ManualRNN: %s', (_, call) => {
      expectRejected(call, ArgumentError, /^model: expected a ManualRNN that was not disposed, got a disposed one$/);
    });

    test.each([
      ...bothModels(() => disposedLayers),
      ['getKerasWeights', () => disposedLayers.getKerasWeights()],
      ['setKerasWeights', () => disposedLayers.setKerasWeights(layers.getKerasWeights())],
      ['copyLayersToManual from it', () => copyLayersToManual(disposedLayers, manual)],
      ['copyManualToLayers into it', () => copyManualToLayers(manual, disposedLayers)],
    ] as const)('LayersRNN: %s', (_, call) => {
      expectRejected(call, ArgumentError, /^model: expected a LayersRNN that was not disposed, got a disposed one$/);
    });

    test('loadStateDict does not revive a disposed model', () => {
      expect(() => disposedManual.loadStateDict(manual.stateDict())).toThrow(ArgumentError);
      expect(() => disposedManual.forward(input)).toThrow(/^model: expected a ManualRNN that was not disposed/);
    });

    test.each([
      ['ManualRNN', () => new ManualRNN({ inputSize: 3, hiddenSize: 4 })],
      ['LayersRNN', () => new LayersRNN({ inputSize: 3, hiddenSize: 4 })],
    ] as const)('StreamingRNN over a disposed %s', (className, build) => {
      const model = build();
      model.dispose();
      const stream = new StreamingRNN(model);
      const chunk = tf.zeros([2, 2, 3]);
      const message = new RegExp(`^model: expected a ${className} that was not disposed, got a disposed one$`);
      expectRejected(() => stream.push(chunk), ArgumentError, message);
      expect(stream.state).toBeUndefined();
      stream.dispose();
      chunk.dispose();
    });
  });

  describe('dispose twice', () => {
    test.each([
      ['ManualRNN', () => new ManualRNN(config)],
      ['LayersRNN', () => new LayersRNN(config)],
    ] as const)('%s: frees the weights once, raises nothing, and the model stays disposed', (className, build) => {
      const tensors = tf.memory().numTensors;
      const model = build();
      model.dispose();
      expect(() => model.dispose()).not.toThrow();
      expect(tf.memory().numTensors).toBe(tensors);
      const input = tf.zeros([2, 5, 3]);
      expect(() => model.forward(input)).toThrow(new RegExp(`^model: expected a ${className} that was not disposed`));
      input.dispose();
    });
  });
});
