import * as tfl from '@tensorflow/tfjs-layers';
import { FullRNNConfig, Mode, layerInputSize } from '../config';
import { GRUResetAfter, LSTMProjection } from './cells';

type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** The initializer of each weight of one stacked layer's Keras layer. */
export interface LayerInitializers {
  kernelInitializer: Initializer;
  recurrentInitializer: Initializer;
  biasInitializer: Initializer;
  projectionInitializer: Initializer;
}

/** What `stackedLayer` passes on to the Keras layer, besides the configuration. */
export interface RecurrentLayerExtras extends LayerInitializers {
  name?: string;
  inputShape?: tfl.Shape;
}

/**
 * How a twin's weights start. `'pytorch'`: as `nn.RNN` initialises them, every weight
 * `U(−1/√H, 1/√H)`. `'zeros'`: all zero, for weights that are set right after the layers are
 * built (a random draw, or tfjs's default Orthogonal recurrent initializer, whose QR
 * decomposition of `[H, gate·H]` takes minutes at H = 1024, would only be overwritten).
 */
export type Initialization = 'pytorch' | 'zeros';
export const INITIALIZATIONS: readonly Initialization[] = ['pytorch', 'zeros'];

/** Zeros for every weight: for layers whose weights are set right after they are built. */
export function zeroInitializers(): LayerInitializers {
  return {
    kernelInitializer: tfl.initializers.zeros(),
    recurrentInitializer: tfl.initializers.zeros(),
    biasInitializer: tfl.initializers.zeros(),
    projectionInitializer: tfl.initializers.zeros(),
  };
}

/** PyTorch's initialisation of stacked layer `layer`: every weight `U(−1/√H, 1/√H)`; with `seed`, seeds from `seed + 4·layer`. */
function pytorchInitializers(config: FullRNNConfig, layer: number, seed: number | undefined): LayerInitializers {
  const bound = 1 / Math.sqrt(config.hiddenSize);
  const uniform = (offset: number) =>
    tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed === undefined ? undefined : seed + 4 * layer + offset });
  return {
    kernelInitializer: uniform(0),
    recurrentInitializer: uniform(1),
    biasInitializer: uniform(2),
    projectionInitializer: uniform(3),
  };
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
const KERAS_LAYERS: Readonly<Record<Mode, (config: FullRNNConfig, options: LayerOptions) => tfl.layers.Layer>> = {
  RNN: (config, { projectionInitializer: _, ...options }) => tfl.layers.simpleRNN({ ...options, activation: config.nonlinearity }),
  LSTM: (config, { projectionInitializer, ...options }) =>
    config.projSize > 0
      ? new LSTMProjection({ ...options, projectionUnits: config.projSize, projectionInitializer, recurrentActivation: 'sigmoid' })
      : tfl.layers.lstm({ ...options, recurrentActivation: 'sigmoid', unitForgetBias: false }),
  GRU: (_config, { projectionInitializer: _, ...options }) => new GRUResetAfter({ ...options, resetAfter: true, recurrentActivation: 'sigmoid' }),
};

/**
 * The Keras layer of one stacked layer of `config`, returning its sequence and final states,
 * inside `bidirectional` (named `wrapperName`) when D = 2. Not built.
 */
export function stackedLayer(config: FullRNNConfig, extras: RecurrentLayerExtras, wrapperName?: string): tfl.layers.Layer {
  const layer = KERAS_LAYERS[config.mode](config, {
    ...extras,
    units: config.hiddenSize,
    useBias: config.bias,
    returnSequences: true,
    returnState: true,
  });
  return config.bidirectional ? tfl.layers.bidirectional({ layer: layer as tfl.RNN, mergeMode: 'concat', name: wrapperName }) : layer;
}

/**
 * One Keras layer per stacked layer (wrapped in `tf.layers.bidirectional` when D = 2), built
 * at once, returning its sequence and final states. `'pytorch'` initialises like PyTorch: every
 * weight `U(−1/√H, 1/√H)`; with `seed`, layer k uses seeds from `seed + 4k`. `'zeros'` draws nothing.
 */
export function buildLayers(config: FullRNNConfig, initialization: Initialization, seed?: number): tfl.layers.Layer[] {
  return Array.from({ length: config.numLayers }, (_, layer) => {
    const initializers = initialization === 'zeros' ? zeroInitializers() : pytorchInitializers(config, layer, seed);
    const built = stackedLayer(config, initializers);
    built.build([null, null, layerInputSize(config, layer)]);
    built.built = true; // `build` alone leaves it unset, and `apply` would build again.
    return built;
  });
}
