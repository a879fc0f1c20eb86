import * as tf from '@tensorflow/tfjs';
import { ManualLSTM } from '../../src';
import { describeEachBackend } from '../helpers/backends';

/** A 2-state model above the host loop's size, so that the steps run on the backend where 'auto' allows. */
const config = { inputSize: 4, hiddenSize: 64, batchFirst: true };

describeEachBackend(() => {
  describe('an LSTM (two states) without a gradient tape', () => {
    let model: ManualLSTM;
    let input: tf.Tensor;
    beforeAll(() => {
      // The backend's steps with or without a tape ('auto' runs untaped calls on host arrays on cpu).
      model = new ManualLSTM(config, { seed: 3, loop: 'tensor' }).eval();
      input = tf.randomNormal([16, 9, 4], 0, 1, 'float32', 4);
    });
    afterAll(() => {
      model.dispose();
      input.dispose();
    });

    test('gets its states without concatenating and splitting them (as customGrad needs under a tape)', async () => {
      const profile = await tf.profile(() => tf.dispose(Object.values(model.forward(input))));
      // The states' split is of the sequence [L, N, H_out + H]; the tf-op step splits each [N, 4H] into gates.
      expect(profile.kernels.filter(({ name, inputShapes }) => name === 'SplitV' && inputShapes[0].length === 3)).toHaveLength(0);
    });

    test('gives the bits it gives under a gradient tape', () => {
      const untaped = model.forward(input);
      let taped: tf.Tensor[] = [];
      const grads = tf.variableGrads(() => {
        const { output, hN, cN } = model.forward(input);
        taped = [output, hN, cN!].map((tensor) => tf.keep(tensor.clone()));
        return tf.sum(output) as tf.Scalar;
      });
      [untaped.output, untaped.hN, untaped.cN!].forEach((tensor, i) => expect(Array.from(tensor.dataSync())).toEqual(Array.from(taped[i].dataSync())));
      tf.dispose([...Object.values(untaped), ...taped, grads.value, ...Object.values(grads.grads)]);
    });
  });
});
