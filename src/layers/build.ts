import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, Mode, layerInputSize } from '../config';
import { GRUResetAfter, LSTMProjection } from './cells';

/** What `stackedLayer` passes on to the Keras layer, besides the configuration. */
export interface RecurrentLayerExtras {
  name?: string;
  inputShape?: tf.Shape;
  kernelInitializer?: ReturnType<typeof tf.initializers.randomUniform>;
  recurrentInitializer?: ReturnType<typeof tf.initializers.randomUniform>;
  biasInitializer?: ReturnType<typeof tf.initializers.randomUniform>;
  projectionInitializer?: ReturnType<typeof tf.initializers.randomUniform>;
}

/** The options every Keras recurrent layer here gets: sequences and final states out. */
interface LayerOptions extends RecurrentLayerExtras {
  units: number;
  useBias: boolean;
  returnSequences: true;
  returnState: true;
}

/**
 * The Keras layer of one direction of each mode, with PyTorch's maths:
 * RNN `simpleRNN`; LSTM `lstm` with σ as its recurrent activation (tfjs's default is the
 * hard sigmoid) and no unit forget bias, or `LSTMProjection` for `projSize`; GRU the
 * `reset_after=True` GRU (`GRUResetAfter`), which tfjs's own `gru` cannot compute.
 */
const KERAS_LAYERS: Readonly<Record<Mode, (config: FullRNNConfig, options: LayerOptions) => tf.layers.Layer>> = {
  RNN: (config, { projectionInitializer: _, ...options }) => tf.layers.simpleRNN({ ...options, activation: config.nonlinearity }),
  LSTM: (config, { projectionInitializer, ...options }) =>
    config.projSize > 0
      ? new LSTMProjection({ ...options, projectionUnits: config.projSize, projectionInitializer, recurrentActivation: 'sigmoid' })
      : tf.layers.lstm({ ...options, recurrentActivation: 'sigmoid', unitForgetBias: false }),
  GRU: (_config, { projectionInitializer: _, ...options }) => new GRUResetAfter({ ...options, resetAfter: true, recurrentActivation: 'sigmoid' }),
};

/**
 * The Keras layer of one stacked layer of `config`, returning its sequence and final states,
 * inside `bidirectional` (named `wrapperName`) when D = 2. Not built.
 */
export function stackedLayer(config: FullRNNConfig, extras: RecurrentLayerExtras, wrapperName?: string): tf.layers.Layer {
  const layer = KERAS_LAYERS[config.mode](config, {
    ...extras,
    units: config.hiddenSize,
    useBias: config.bias,
    returnSequences: true,
    returnState: true,
  });
  return config.bidirectional ? tf.layers.bidirectional({ layer: layer as tf.RNN, mergeMode: 'concat', name: wrapperName }) : layer;
}

/**
 * One Keras layer per stacked layer (wrapped in `tf.layers.bidirectional` when D = 2), built
 * at once, returning its sequence and final states. Initialised like PyTorch: every weight
 * `U(−1/√H, 1/√H)`; with `seed`, layer k uses seeds from `seed + 4k`.
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
      projectionInitializer: uniform(4 * layer + 3),
    });
    built.build([null, null, layerInputSize(config, layer)]);
    built.built = true; // `build` alone leaves it unset, and `apply` would build again.
    return built;
  });
}
