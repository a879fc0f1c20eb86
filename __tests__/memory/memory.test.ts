import * as tf from '@tensorflow/tfjs';
import {
  InitialState,
  LayersModel,
  ManualModel,
  RNNConfig,
  RNNOutput,
  compareTensors,
  copyLayersToManual,
  copyManualToLayers,
  disposeKerasWeights,
  FORWARD_TOLERANCE,
  kerasToTorch,
  toHostArrays,
  toTensors,
  checkConfig,
  createLayersModel,
  createManualModel,
  stateShapes,
  torchToKeras,
} from '../../src';
import { lossGradients, trainStep } from '../../src/training';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';

const CONFIGS: RNNConfig[] = [
  { inputSize: 3, hiddenSize: 4 },
  { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.5 },
  { inputSize: 3, hiddenSize: 4, numLayers: 3, nonlinearity: 'relu', bias: false },
  { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2, dropout: 0.5 },
  { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true, bias: false },
  { mode: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true },
];

describeEachBackend(() => {
  describe.each(CONFIGS.map((config) => [JSON.stringify(config), config] as const))('%s', (_, config) => {
    let manual: ManualModel;
    let layers: LayersModel;
    let input: tf.Tensor;
    /** h0, and c0 for an LSTM. */
    let states: tf.Tensor[];
    let hx: InitialState;
    beforeAll(() => {
      manual = createManualModel(config, { seed: 1 });
      layers = createLayersModel(config, { seed: 2 });
      input = tf.randomNormal(manual.config.batchFirst ? [2, 5, 3] : [5, 2, 3], 0, 1, 'float32', 3);
      states = stateShapes(checkConfig(config), { batched: true, batchSize: 2, seqLen: 5 }).map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 4 + i));
      hx = states.length === 1 ? states[0] : [states[0], states[1]];
    });
    afterAll(() => {
      manual.dispose();
      layers.dispose();
      tf.dispose([input, ...states]);
    });

    test.each([
      ['hand-written', () => manual],
      ['tf.layers twin', () => layers],
    ] as const)('%s forward, training and eval, with and without h0', (__, model) => {
      for (const training of [true, false]) {
        model().training = training;
        expectNoLeak(() => tf.dispose(Object.values(model().forward(input))));
        expectNoLeak(() => tf.dispose(Object.values(model().forward(input, hx))));
      }
    });

    test.each(['host', 'tensor'] as const)('hand-written forward with the %s loop, with lengths', (loop) => {
      const model = createManualModel(config, { seed: 1, loop });
      const lengths = [5, 2];
      expectNoLeak(() => tf.dispose(Object.values(model.forward(input, hx, { lengths }))));
      model.dispose();
    });

    test('gradients through the hand-written recurrence', () => {
      const parameters = [...manual.namedParameters().values()];
      expectNoLeak(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(manual.forward(input, hx).output) as tf.Scalar, parameters);
        tf.dispose([value, ...Object.values(grads)]);
      });
    });

    test.each([
      ['hand-written', () => manual],
      ['tf.layers twin', () => layers],
    ] as const)('%s: a loss or objective that throws is rethrown as it is, nothing leaked', (__, model) => {
      const error = new Error('the loss failed');
      const throwing = ({ output }: RNNOutput): tf.Scalar => {
        tf.sum(output);
        throw error;
      };
      const thrownBy = (call: () => unknown): unknown => {
        try {
          call();
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      };
      const options = { h0: states[0], c0: states[1], lengths: [5, 2] };
      const optimizer = tf.train.sgd(0.1);
      expectNoLeak(() => expect(thrownBy(() => lossGradients(model(), throwing, input, options))).toBe(error));
      const target = input; // Never read: the loss throws first.
      expectNoLeak(() => expect(thrownBy(() => trainStep(model(), optimizer, throwing, input, target, options))).toBe(error));
      optimizer.dispose();
    });

    test('weight mapping and copies', () => {
      expectNoLeak(() => disposeKerasWeights(torchToKeras(manual.stateDict(), config)));
      expectNoLeak(() => tf.dispose(Object.values(kerasToTorch(layers.getKerasWeights(), config))));
      expectNoLeak(() => copyManualToLayers(manual, layers));
      expectNoLeak(() => copyLayersToManual(layers, manual));
      expectNoLeak(() => manual.loadStateDict(manual.stateDict()));
      expectNoLeak(() => layers.setKerasWeights(layers.getKerasWeights()));
    });

    test('host arrays and comparison', () => {
      expectNoLeak(() => tf.dispose(Object.values(toTensors(toHostArrays(manual.stateDict())))));
      expectNoLeak(() => compareTensors(input, input, FORWARD_TOLERANCE));
    });

    test('construction and dispose', () => {
      expectNoLeak(() => createManualModel(config).dispose());
      expectNoLeak(() => createLayersModel(config).dispose());
    });
  });
});
