import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  LayersRNN,
  ManualRNN,
  RNNOutput,
  copyManualToLayers,
  lossGradients,
} from '../../src';
import { SIGMOID_TANH_MIN_ELEMENTS, twiceMinusOne } from '../../src/manual/activation';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/** Steps of `[16, 64]`: exactly the size from which wasm computes tanh through its sigmoid. */
const BATCH = 16;
const HIDDEN = SIGMOID_TANH_MIN_ELEMENTS / BATCH;
const config = { inputSize: 8, hiddenSize: HIDDEN, numLayers: 2, bidirectional: true, batchFirst: true };

/** Names of the kernels one forward pass runs. */
async function kernelsOf(model: ManualRNN, input: tf.Tensor): Promise<string[]> {
  const profile = await tf.profile(() => tf.dispose(Object.values(model.forward(input))));
  return profile.kernelNames;
}

describeEachBackend((backend) => {
  test(`2s − 1 by addN rounds exactly as mul then sub (${backend})`, () => {
    const s = tf.sigmoid(tf.randomNormal([64, 256], 0, 4, 'float32', 24));
    const minusOne = tf.fill(s.shape, -1);
    const [byAddN, byMulSub] = [twiceMinusOne(s, minusOne), tf.sub(tf.mul(s, 2), 1)];
    expect(Array.from(byAddN.dataSync())).toEqual(Array.from(byMulSub.dataSync()));
    tf.dispose([s, minusOne, byAddN, byMulSub]);
  });

  describe('large steps (the fast tanh path on wasm)', () => {
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

    test(`wasm runs sigmoid, other backends tanh (${backend})`, async () => {
      const kernels = await kernelsOf(manual, input);
      expect(kernels.includes('Sigmoid')).toBe(backend === 'wasm');
      expect(kernels.includes('Tanh')).toBe(backend !== 'wasm');
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
