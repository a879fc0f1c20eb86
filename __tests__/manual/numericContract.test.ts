import * as tf from '@tensorflow/tfjs';
import { Mode, RNNConfig, StepLoop, StreamingRNN, createManualModel } from '../../src';
import { describeEachBackend } from '../helpers/backends';

/**
 * The bit-for-bit promises of docs/numeric-contract.md, on whole models. (Engines against
 * each other, and with a tape at the level of one direction: conformance.test.ts; the host
 * kernels against their plain-loop fallback: hostSteps.test.ts and hostProduct.test.ts.)
 */

const MODES: Mode[] = ['RNN', 'LSTM', 'GRU'];
/** A small model (on wasm the plan's host engine under 'auto'), and a larger one with two layers and directions. */
const CONFIGS = [
  { inputSize: 16, hiddenSize: 32 },
  { inputSize: 16, hiddenSize: 96, numLayers: 2, bidirectional: true },
];
const LOOPS: StepLoop[] = ['auto', 'host', 'tensor'];

const bits = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

describeEachBackend(() => {
  describe.each(MODES)('%s', (mode) => {
    test.each(LOOPS)("loop '%s': a forward pass gives the same bits with a gradient tape as without", (loop) => {
      for (const sizes of CONFIGS) {
        const config: RNNConfig = { mode, ...sizes };
        const model = createManualModel({ ...config, batchFirst: true }, { seed: 3, loop });
        const input = tf.randomNormal([2, 16, 16], 0, 1, 'float32', 4);
        const plain = model.forward(input);
        let taped: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const result = model.forward(input);
          taped = tf.keep(tf.clone(result.output));
          return tf.sum(result.output) as tf.Scalar;
        });
        const label = `${JSON.stringify(config)} on ${model.plan({ seqLen: 16, batchSize: 2 }).engine}`;
        expect([label, bits(taped!)]).toEqual([label, bits(plain.output)]);
        tf.dispose([input, value, taped!, ...Object.values(grads), ...Object.values(plain)]);
        model.dispose();
      }
    });

    test('the host engine gives a sequence the same bits alone, in a batch, with lengths, and wholly on host arrays or layer by layer', () => {
      const model = createManualModel({ mode, inputSize: 5, hiddenSize: 24, numLayers: 2 }, { seed: 5, loop: 'host' });
      const batch = tf.randomNormal([9, 7, 5], 0, 1, 'float32', 6);
      const alone = tf.slice(batch, [0, 2, 0], [-1, 1, -1]);
      const results = [
        model.forward(alone), // wholly on host arrays
        model.forward(batch), // wholly on host arrays, in a batch
        model.forward(batch, undefined, { lengths: Array(7).fill(9) }), // layer by layer
      ];
      const row = (output: tf.Tensor) => tf.tidy(() => bits(output.shape[1] === 1 ? output : tf.slice(output, [0, 2, 0], [-1, 1, -1])));
      const expected = row(results[0].output);
      results.slice(1).forEach((result) => expect(row(result.output)).toEqual(expected));
      tf.dispose([batch, alone, ...results.flatMap((result) => Object.values(result))]);
      model.dispose();
    });

    test('a stream push recorded on a gradient tape runs layer by layer, so the weights get gradients, with the same bits as unrecorded', () => {
      const model = createManualModel({ mode, inputSize: 4, hiddenSize: 8 }, { seed: 9 });
      const chunk = tf.randomNormal([3, 1, 4], 0, 1, 'float32', 10);
      const [plainStream, tapedStream] = [new StreamingRNN(model), new StreamingRNN(model)];
      const plain = plainStream.push(chunk);
      let taped: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const output = tapedStream.push(chunk);
        taped = tf.keep(tf.clone(output));
        return tf.sum(output) as tf.Scalar;
      });
      expect(Object.keys(grads).length).toBeGreaterThan(0);
      expect(bits(taped!)).toEqual(bits(plain));
      tf.dispose([chunk, plain, taped!, value, ...Object.values(grads)]);
      [plainStream, tapedStream].forEach((stream) => stream.dispose());
      model.dispose();
    });
  });
});
