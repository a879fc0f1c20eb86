import * as tf from '@tensorflow/tfjs';
import {
  ConfigError,
  FORWARD_TOLERANCE,
  LayersRNN,
  ManualRNN,
  ShapeError,
  WeightsError,
  checkConfig,
  copyLayersToManual,
  copyManualToLayers,
  disposeKerasWeights,
  kerasToTorch,
  parameterSpecs,
  torchToKeras,
} from '../../src';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { configOf, loadFixtures, stateDictOf, tensorOf } from '../helpers/fixtures';

const [fixture] = loadFixtures('grid_l2_bi_tanh_bias_bf_h0_batched');
const config = checkConfig(configOf(fixture));

function values(tensor: tf.Tensor): number[] {
  return Array.from(tensor.dataSync());
}

/** The float32 sum of two stored vectors, as the mapping computes it. */
function float32Sum(a: number[], b: number[]): number[] {
  return a.map((value, i) => Math.fround(Math.fround(value) + Math.fround(b[i])));
}

describeEachBackend(() => {
  describe('torchToKeras', () => {
    test('kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh, for every layer and direction', () => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      expect(weights).toHaveLength(2);
      weights.forEach((layerWeights, layer) => {
        expect(layerWeights).toHaveLength(2);
        layerWeights.forEach(({ kernel, recurrentKernel, bias }, direction) => {
          const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
          const stored = (name: string) => fixture.state_dict[`${name}${suffix}`];
          const weightIh = stored('weight_ih');
          expect(kernel.shape).toEqual([weightIh.shape[1], weightIh.shape[0]]);
          tf.tidy(() => {
            expect(values(kernel)).toEqual(values(tf.transpose(tensorOf(weightIh))));
            expect(values(recurrentKernel)).toEqual(values(tf.transpose(tensorOf(stored('weight_hh')))));
          });
          expect(values(bias as tf.Tensor)).toEqual(float32Sum(stored('bias_ih').data, stored('bias_hh').data));
        });
      });
      disposeKerasWeights(weights);
      tf.dispose(Object.values(stateDict));
    });

    test('without bias there is no Keras bias', () => {
      const [noBias] = loadFixtures('grid_l1_uni_tanh_nobias_bf_h0_batched');
      const stateDict = stateDictOf(noBias);
      const weights = torchToKeras(stateDict, configOf(noBias));
      expect(weights[0][0].bias).toBeUndefined();
      disposeKerasWeights(weights);
      tf.dispose(Object.values(stateDict));
    });
  });

  describe('kerasToTorch', () => {
    test('W_ih = kernelᵀ, W_hh = recurrentKernelᵀ, b_ih = bias, b_hh = 0, keys in PyTorch order', () => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      const back = kerasToTorch(weights, config);
      expect(Object.keys(back)).toEqual(parameterSpecs(config).map((spec) => spec.name));
      for (const [name, tensor] of Object.entries(back)) {
        if (name.startsWith('weight')) expect(values(tensor)).toEqual(fixture.state_dict[name].data.map(Math.fround));
        if (name.startsWith('bias_hh')) expect(values(tensor).every((value) => value === 0)).toBe(true);
        if (name.startsWith('bias_ih')) {
          const hh = fixture.state_dict[name.replace('bias_ih', 'bias_hh')].data;
          expect(values(tensor)).toEqual(float32Sum(fixture.state_dict[name].data, hh));
        }
      }
      disposeKerasWeights(weights);
      tf.dispose([...Object.values(stateDict), ...Object.values(back)]);
    });

    test('GRU: exact both ways (both biases kept), gate blocks r, z, n ⇄ Keras z, r, h', () => {
      // nn.GRU(5, 3, num_layers=2, bidirectional=True): weight_ih_l0 [9, 5], rows r, z, n.
      const [gru] = loadFixtures('gru/grid_l2_bi_bias_bf_h0_batched');
      const gruConfig = checkConfig(configOf(gru));
      const stateDict = stateDictOf(gru);
      const weights = torchToKeras(stateDict, gruConfig);
      const rows = (name: string, block: number) => tf.tidy(() => values(tf.slice(stateDict[name], [block * 3, 0], [3, -1])));
      const columns = (kernel: tf.Tensor, block: number) => tf.tidy(() => values(tf.transpose(tf.slice(kernel, [0, block * 3], [-1, 3]))));
      // Keras's first block (z) is PyTorch's second (z), its second (r) PyTorch's first (r).
      expect(columns(weights[0][0].kernel, 0)).toEqual(rows('weight_ih_l0', 1));
      expect(columns(weights[0][0].kernel, 1)).toEqual(rows('weight_ih_l0', 0));
      expect(columns(weights[0][0].kernel, 2)).toEqual(rows('weight_ih_l0', 2));
      expect(weights[0][0].bias!.shape).toEqual([2, 9]);
      const back = kerasToTorch(weights, gruConfig);
      expect(Object.keys(back)).toEqual(Object.keys(gru.state_dict));
      for (const [name, tensor] of Object.entries(back)) expect(values(tensor)).toEqual(values(stateDict[name]));
      disposeKerasWeights(weights);
      tf.dispose([...Object.values(stateDict), ...Object.values(back)]);
    });

    test('the lossy bias split leaves the outputs as PyTorch computed them', () => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      const back = kerasToTorch(weights, config);
      const model = new ManualRNN(config);
      model.loadStateDict(back);
      const [input, h0, output, hN] = [fixture.input, fixture.h0!, fixture.output, fixture.h_n].map(tensorOf);
      const result = model.forward(input, h0);
      expectClose(result.output, output, FORWARD_TOLERANCE, 'output');
      expectClose(result.hN, hN, FORWARD_TOLERANCE, 'h_n');
      model.dispose();
      disposeKerasWeights(weights);
      tf.dispose([...Object.values(stateDict), ...Object.values(back), input, h0, output, hN, result.output, result.hN]);
    });
  });

  describe('weights of the wrong shape', () => {
    test.each(parameterSpecs(config).flatMap((spec) => spec.shape.map((_, axis) => [spec.name, axis] as const)))(
      'loadStateDict: %s axis %i set to 7',
      (name, axis) => {
        const stateDict = stateDictOf(fixture);
        const shape = stateDict[name].shape.map((size, index) => (index === axis ? 7 : size));
        stateDict[name].dispose();
        stateDict[name] = tf.zeros(shape);
        const model = new ManualRNN(config);
        const expected = fixture.state_dict[name].shape.join(', ');
        expect(() => model.loadStateDict(stateDict)).toThrow(WeightsError);
        expect(() => model.loadStateDict(stateDict)).toThrow(
          new RegExp(`^weights: ${name}: expected shape \\[${expected}\\], got \\[${shape.join(', ')}\\]$`),
        );
        model.dispose();
        tf.dispose(Object.values(stateDict));
      },
    );

    test('loadStateDict names every missing and unexpected key in one error', () => {
      const stateDict = stateDictOf(fixture);
      const removed = stateDict.bias_hh_l1_reverse;
      delete stateDict.bias_hh_l1_reverse;
      stateDict.weight_ih_l2 = tf.zeros([4, 8]);
      const model = new ManualRNN(config);
      expect(() => model.loadStateDict(stateDict)).toThrow(
        /^weights: missing key 'bias_hh_l1_reverse'; unexpected key 'weight_ih_l2'$/,
      );
      model.dispose();
      tf.dispose([removed, ...Object.values(stateDict)]);
    });

    test('torchToKeras checks the state_dict too', () => {
      const stateDict = stateDictOf(fixture);
      delete stateDict.weight_hh_l0;
      expect(() => torchToKeras(stateDict, config)).toThrow(/^weights: missing key 'weight_hh_l0'$/);
      tf.dispose(Object.values(stateDict));
    });

    test.each([
      ['kernel', [8, 7], /^layers\[1\]\.backward\.kernel: expected \[8, 4\], got \[8, 7\]$/],
      ['recurrentKernel', [4, 7], /^layers\[1\]\.backward\.recurrentKernel: expected \[4, 4\], got \[4, 7\]$/],
      ['bias', [7], /^layers\[1\]\.backward\.bias: expected \[4\], got \[7\]$/],
    ] as const)('setKerasWeights / kerasToTorch: %s of shape %j', (field, shape, message) => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      const replaced = weights[1][1][field]!;
      weights[1][1] = { ...weights[1][1], [field]: tf.zeros([...shape]) };
      const model = new LayersRNN(config);
      expect(() => model.setKerasWeights(weights)).toThrow(ShapeError);
      expect(() => model.setKerasWeights(weights)).toThrow(message);
      expect(() => kerasToTorch(weights, config)).toThrow(message);
      model.dispose();
      replaced.dispose();
      disposeKerasWeights(weights);
      tf.dispose(Object.values(stateDict));
    });

    test('setKerasWeights: an entry that is not a live float32 tensor is named, and no layer is changed', () => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      const model = new LayersRNN(config, { seed: 3 });
      const before = model.getKerasWeights().flat().map(({ kernel }) => values(kernel));
      const disposed = tf.zeros([4]);
      disposed.dispose();
      const replaced = weights[1][1].bias!;
      for (const [bad, message] of [
        [{ shape: [4], data: new Float32Array(4) }, /^layers\[1\]\.backward\.bias: expected a tf\.Tensor, got Object \{shape, data\}$/],
        [disposed, /^layers\[1\]\.backward\.bias: expected a live tf\.Tensor, got a disposed tf\.Tensor$/],
      ] as const) {
        weights[1][1] = { ...weights[1][1], bias: bad as unknown as tf.Tensor };
        expect(() => model.setKerasWeights(weights)).toThrow(message);
      }
      expect(model.getKerasWeights().flat().map(({ kernel }) => values(kernel))).toEqual(before);
      model.dispose();
      replaced.dispose();
      weights[1][1] = { ...weights[1][1], bias: undefined };
      disposeKerasWeights(weights);
      tf.dispose(Object.values(stateDict));
    });

    test('kerasToTorch: wrong number of layers', () => {
      const stateDict = stateDictOf(fixture);
      const weights = torchToKeras(stateDict, config);
      expect(() => kerasToTorch(weights.slice(0, 1), config)).toThrow(/^layers: expected 2 layers, got 1$/);
      disposeKerasWeights(weights);
      tf.dispose(Object.values(stateDict));
    });
  });

  describe('copying between live instances', () => {
    test.each([
      ['hiddenSize', { hiddenSize: 7 }],
      ['numLayers', { numLayers: 1 }],
      ['bidirectional', { bidirectional: false }],
      ['nonlinearity', { nonlinearity: 'relu' as const }],
    ])('refuses a target whose %s differs', (field, change) => {
      const manual = new ManualRNN(config);
      const layers = new LayersRNN({ ...config, ...change });
      expect(() => copyManualToLayers(manual, layers)).toThrow(ConfigError);
      expect(() => copyManualToLayers(manual, layers)).toThrow(new RegExp(`^target\\.config\\.${field}: expected`));
      expect(() => copyLayersToManual(layers, manual)).toThrow(new RegExp(`^target\\.config\\.${field}: expected`));
      manual.dispose();
      layers.dispose();
    });

    test('copies leak no tensor', () => {
      const manual = new ManualRNN(config, { seed: 3 });
      const layers = new LayersRNN(config, { seed: 5 });
      expectNoLeak(() => copyManualToLayers(manual, layers));
      expectNoLeak(() => copyLayersToManual(layers, manual));
      manual.dispose();
      layers.dispose();
    });
  });
});
