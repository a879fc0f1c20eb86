import * as tf from '@tensorflow/tfjs';
import { FORWARD_TOLERANCE, LayersModel, RNNConfig, copyLayersToManual, createLayersModel, createManualModel, outputSize, checkConfig } from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/** A Keras functional model over the twin's own layers, so `fit` trains the twin's weights. */
function kerasModelOf(layers: LayersModel, seqLen: number): tf.LayersModel {
  const input = tf.input({ shape: [seqLen, layers.config.inputSize] });
  const output = layers.layers.reduce(
    (sequence, layer) => (layer.apply(sequence) as tf.SymbolicTensor[])[0],
    input,
  );
  return tf.model({ inputs: input, outputs: output });
}

describeEachBackend(() => {
  test.each<RNNConfig>([
    { inputSize: 3, hiddenSize: 4, batchFirst: true },
    { inputSize: 3, hiddenSize: 4, batchFirst: true, numLayers: 2, bidirectional: true, nonlinearity: 'relu' },
    { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true, numLayers: 2, bidirectional: true, projSize: 2 },
    { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true },
    { mode: 'GRU', inputSize: 3, hiddenSize: 4, batchFirst: true, numLayers: 2, bidirectional: true },
  ])('model.fit trains the twin; copied back, the hand-written model agrees (%j)', async (config) => {
    const layers = createLayersModel(config, { seed: 3 });
    const manual = createManualModel(config, { seed: 4 });
    const directions = config.bidirectional ? 2 : 1;
    const input = tf.randomNormal([8, 5, 3], 0, 1, 'float32', 5);
    const target = tf.randomUniform([8, 5, directions * outputSize(checkConfig(config))], -0.5, 0.5, 'float32', 6);
    const model = kerasModelOf(layers, 5);
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const before = layers.getKerasWeights()[0][0].kernel.dataSync().slice();
    const history = await model.fit(input, target, { epochs: 20, batchSize: 4, verbose: 0, shuffle: false });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(layers.getKerasWeights()[0][0].kernel.dataSync()).not.toEqual(before);

    copyLayersToManual(layers, manual);
    layers.eval();
    manual.eval();
    const fromFit = model.predict(input) as tf.Tensor;
    const twin = layers.forward(input);
    const handWritten = manual.forward(input);
    expectClose(twin.output, fromFit, FORWARD_TOLERANCE, 'twin output vs the fitted Keras model');
    expectClose(handWritten.output, twin.output, FORWARD_TOLERANCE, 'output');
    expectClose(handWritten.hN, twin.hN, FORWARD_TOLERANCE, 'h_n');
    if (twin.cN) expectClose(handWritten.cN!, twin.cN, FORWARD_TOLERANCE, 'c_n');
    tf.dispose([input, target, fromFit, ...Object.values(twin), ...Object.values(handWritten)]);
    manual.dispose();
    layers.dispose();
  });
});
