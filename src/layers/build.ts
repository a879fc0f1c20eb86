import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, layerInputSize } from '../config';

/** What `stackedLayer` passes on to `tf.layers.simpleRNN`, besides the configuration. */
export type SimpleRNNExtras = Omit<
  Parameters<typeof tf.layers.simpleRNN>[0],
  'units' | 'activation' | 'useBias' | 'returnSequences' | 'returnState'
>;

/**
 * The Keras layer of one stacked layer of `config`: a `simpleRNN` returning its sequence
 * and final state, inside `bidirectional` (named `wrapperName`) when D = 2. Not built.
 */
export function stackedLayer(config: FullRNNConfig, extras: SimpleRNNExtras, wrapperName?: string): tf.layers.Layer {
  const cell = tf.layers.simpleRNN({
    ...extras,
    units: config.hiddenSize,
    activation: config.nonlinearity,
    useBias: config.bias,
    returnSequences: true,
    returnState: true,
  });
  return config.bidirectional ? tf.layers.bidirectional({ layer: cell, mergeMode: 'concat', name: wrapperName }) : cell;
}

/**
 * One `tf.layers.simpleRNN` (wrapped in `tf.layers.bidirectional` when D = 2) per stacked
 * layer, built at once, returning its sequence and final states. Initialised like PyTorch:
 * every weight `U(−1/√H, 1/√H)`; with `seed`, layer k uses seeds from `seed + 4k`.
 */
export function buildLayers(config: FullRNNConfig, seed?: number): tf.layers.Layer[] {
  const bound = 1 / Math.sqrt(config.hiddenSize);
  const uniform = (offset: number) =>
    tf.initializers.randomUniform({
      minval: -bound,
      maxval: bound,
      seed: seed === undefined ? undefined : seed + offset,
    });
  return Array.from({ length: config.numLayers }, (_, layer) => {
    const built = stackedLayer(config, {
      kernelInitializer: uniform(4 * layer),
      recurrentInitializer: uniform(4 * layer + 1),
      biasInitializer: uniform(4 * layer + 2),
    });
    built.build([null, null, layerInputSize(config, layer)]);
    built.built = true; // `build` alone leaves it unset, and `apply` would build again.
    return built;
  });
}
