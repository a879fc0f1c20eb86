import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, layerInputSize } from '../config';

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
    const cell = tf.layers.simpleRNN({
      units: config.hiddenSize,
      activation: config.nonlinearity,
      useBias: config.bias,
      returnSequences: true,
      returnState: true,
      kernelInitializer: uniform(4 * layer),
      recurrentInitializer: uniform(4 * layer + 1),
      biasInitializer: uniform(4 * layer + 2),
    });
    const built = config.bidirectional ? tf.layers.bidirectional({ layer: cell, mergeMode: 'concat' }) : cell;
    built.build([null, null, layerInputSize(config, layer)]);
    built.built = true; // `build` alone leaves it unset, and `apply` would build again.
    return built;
  });
}
