import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FullRNNConfig, GRUConfig, LSTMConfig, RNNConfig, checkConfig, numDirections, withMode } from '../config';
import { ArgumentError, describeValue } from '../errors';
import { KerasDirectionWeights, KerasWeights, checkKerasWeights, directionLabel } from '../mapping/kerasWeights';
import {
  ForwardOptions,
  Lifecycle,
  RNNOutput,
  RecurrentModel,
  InitialState,
  batchedInitialStates,
  checkInitialStates,
  checkInput,
  checkLengths,
  dropoutBetweenLayers,
  finalState,
  fromBatchMajor,
  toBatchMajor,
  unstackStates,
  validStepMask,
  zeroPaddedSteps,
} from '../shapes';
import { StateDictInput, withStateDictTensors } from '../manual/stateDict';
import { disposeKerasWeights, torchToKeras } from '../mapping/mapping';
import { INITIALIZATIONS, Initialization, buildLayers } from './build';

export interface LayersOptions {
  /** Seed of the initialisation; random when absent. */
  seed?: number;
  /**
   * How the weights start: `'pytorch'` as `nn.RNN` (every weight `U(−1/√H, 1/√H)`), or
   * `'zeros'` when every weight is set right after (`setKerasWeights`, `copyManualToLayers`),
   * which draws nothing. @default 'pytorch'
   */
  initialization?: Initialization;
}

/**
 * A recurrent model assembled from tf.layers (see `build.ts` for each mode's Keras layer), with
 * PyTorch's call: the same input layouts, initial states and returns as the hand-written
 * models. `LayersRNN`, `LayersLSTM` and `LayersGRU` fix the mode.
 */
export class LayersModel<State extends InitialState = InitialState> implements RecurrentModel {
  readonly config: FullRNNConfig;
  training = true;
  /** One Keras layer per stacked layer: the mode's recurrent layer, or `Bidirectional` around one. */
  readonly layers: tfl.layers.Layer[];
  private readonly lifecycle: Lifecycle;
  /** Every weight by its place in `getKerasWeights()` (`layers[0].forward.kernel`), to refuse those disposed from outside. */
  private readonly variables: [string, tf.Variable][];

  constructor(config: RNNConfig, options: LayersOptions = {}) {
    this.config = checkConfig(config);
    this.lifecycle = new Lifecycle('model', new.target.name);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ArgumentError('seed', 'an integer', describeValue(options.seed));
    }
    const initialization = options.initialization ?? 'pytorch';
    if (!INITIALIZATIONS.includes(initialization)) {
      throw new ArgumentError('initialization', `one of ${INITIALIZATIONS.map((name) => `'${name}'`).join(', ')}`, describeValue(initialization));
    }
    this.layers = buildLayers(this.config, initialization, options.seed);
    const keras = groupKerasWeights(this.layers.map((layer) => layer.weights.map((weight) => weight.read())), this.config);
    this.variables = keras.flatMap((directions, layer) =>
      directions.flatMap((weights, direction) =>
        Object.entries(weights).flatMap(([key, tensor]) => (tensor === undefined ? [] : [[`${directionLabel(layer, direction)}.${key}`, tensor as tf.Variable] as [string, tf.Variable]])),
      ),
    );
  }

  /** Sets training mode (dropout between layers on), as PyTorch's `module.train(mode)`. */
  train(mode = true): this {
    this.lifecycle.check();
    this.training = mode;
    return this;
  }

  /** Sets evaluation mode, as PyTorch's `module.eval()`. */
  eval(): this {
    return this.train(false);
  }

  /** The Keras weights of every layer and direction; the tensors are owned by this model. */
  getKerasWeights(): KerasWeights {
    this.lifecycle.checkParameters(this.variables);
    return groupKerasWeights(this.layers.map((layer) => layer.getWeights()), this.config);
  }

  /** Copies Keras weights in, after checking every layer, direction and shape. */
  setKerasWeights(weights: KerasWeights): void {
    this.lifecycle.checkParameters(this.variables);
    checkKerasWeights(weights, this.config);
    weights.forEach((layerWeights, index) => this.layers[index].setWeights(layerKerasTensors(layerWeights)));
  }

  /**
   * Copies PyTorch's parameters in, as the hand-written model's `loadStateDict`: tf.Tensors or
   * host arrays (what the top-level `loadStateDict(path)` returns) keyed by PyTorch's names,
   * every key and shape checked first, mapped by `torchToKeras` (exact).
   */
  loadStateDict(stateDict: StateDictInput): void {
    this.lifecycle.checkParameters(this.variables);
    withStateDictTensors(stateDict, this.config, (tensors) => {
      const keras = torchToKeras(tensors, this.config);
      try {
        this.setKerasWeights(keras);
      } finally {
        disposeKerasWeights(keras);
      }
    });
  }

  /** Every layer's kernel, recurrent kernel, bias (and projection kernel), for an optimizer; owned by this model. */
  trainableVariables(): tf.Variable[] {
    this.lifecycle.check();
    return this.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable));
  }

  /**
   * With `lengths`, every layer gets Keras's mask (`[N, L]`, true at valid steps), which keeps
   * each state past its sequence's end, and the padded steps of the output are set to zero.
   */
  forward(input: tf.Tensor, hx?: State, options?: ForwardOptions): RNNOutput {
    this.lifecycle.checkParameters(this.variables);
    const layout = checkInput(this.config, input);
    const checkedStates = checkInitialStates(this.config, layout, hx);
    const lengths = checkLengths(layout, options?.lengths);
    const directions = numDirections(this.config);
    return tf.tidy(() => {
      const initialSteps = batchedInitialStates(this.config, layout, checkedStates).map(unstackStates);
      const mask = lengths && validStepMask(lengths, layout.seqLen, false);
      const finalSteps: tf.Tensor[][] = initialSteps.map(() => []);
      let sequence = toBatchMajor(this.config, layout, input);
      this.layers.forEach((layer, index) => {
        // Keras orders a layer's states by direction, then state: [h_f, c_f, h_b, c_b].
        const directionIndices = Array.from({ length: directions }, (_, direction) => index * directions + direction);
        const initialState = directionIndices.flatMap((stateIndex) => initialSteps.map((steps) => steps[stateIndex]));
        const [output, ...states] = layer.apply(sequence, { initialState, mask, training: this.training }) as tf.Tensor[];
        states.forEach((state, position) => finalSteps[position % initialSteps.length].push(state));
        sequence = dropoutBetweenLayers(output as tf.Tensor3D, this.config.dropout, this.training, index === this.layers.length - 1);
      });
      const output = lengths === undefined ? sequence : zeroPaddedSteps(sequence, lengths, false);
      const [hN, cN] = finalSteps.map((steps) => finalState(layout, tf.stack(steps) as tf.Tensor3D));
      return { output: fromBatchMajor(this.config, layout, output), hN, ...(cN && { cN }) };
    });
  }

  /**
   * Frees the weights (but those the caller disposed already); every other method throws
   * afterwards, and `dispose()` again does nothing. (`Layer.dispose` refuses layers that were
   * only called eagerly.)
   */
  dispose(): void {
    this.lifecycle.end(() => tf.dispose(this.variables.flatMap(([, variable]) => (variable.isDisposed ? [] : [variable]))));
  }
}

/**
 * Keras weights from each layer's tensors in Keras's order (`layer.getWeights()`, or the
 * same slice of `trainableVariables()` or of their gradients): per direction kernel,
 * recurrent kernel, bias (when `bias`), projection kernel (when `projSize`).
 */
export function groupKerasWeights(layerTensors: tf.Tensor[][], config: FullRNNConfig): KerasWeights {
  const { bias, projSize } = config;
  const perDirection = 2 + (bias ? 1 : 0) + (projSize > 0 ? 1 : 0);
  return layerTensors.map((tensors) =>
    Array.from({ length: numDirections(config) }, (_, direction) => {
      const [kernel, recurrentKernel, ...rest] = tensors.slice(direction * perDirection, (direction + 1) * perDirection);
      return {
        kernel: kernel as tf.Tensor2D,
        recurrentKernel: recurrentKernel as tf.Tensor2D,
        bias: bias ? rest.shift() : undefined,
        projectionKernel: projSize > 0 ? (rest.shift() as tf.Tensor2D) : undefined,
      };
    }),
  );
}

/**
 * One layer's tensors in Keras's order, as `layer.setWeights` takes them (the inverse of
 * `groupKerasWeights`): per direction kernel, recurrent kernel, bias, projection kernel, each when present.
 */
export function layerKerasTensors(layerWeights: KerasDirectionWeights[]): tf.Tensor[] {
  return layerWeights.flatMap(({ kernel, recurrentKernel, bias, projectionKernel }) =>
    [kernel, recurrentKernel, bias, projectionKernel].filter((tensor): tensor is tf.Tensor => tensor !== undefined),
  );
}

/** PyTorch's `nn.RNN` from `tf.layers.simpleRNN`. */
export class LayersRNN extends LayersModel<tf.Tensor> {
  constructor(config: RNNConfig, options?: LayersOptions) {
    super(withMode(config, 'RNN', 'LayersRNN'), options);
  }
}

/** PyTorch's `nn.LSTM` from `tf.layers.lstm` (σ gates, no unit forget bias), or `LSTMProjection` for `projSize`. */
export class LayersLSTM extends LayersModel<[tf.Tensor, tf.Tensor]> {
  constructor(config: LSTMConfig, options?: LayersOptions) {
    super(withMode(config, 'LSTM', 'LayersLSTM'), options);
  }
}

/** PyTorch's `nn.GRU` from Keras's `reset_after=True` GRU (`GRUResetAfter`). */
export class LayersGRU extends LayersModel<tf.Tensor> {
  constructor(config: GRUConfig, options?: LayersOptions) {
    super(withMode(config, 'GRU', 'LayersGRU'), options);
  }
}

/** The tf.layers twin of a configuration of any mode. */
export function createLayersModel(config: RNNConfig, options?: LayersOptions): LayersModel {
  return new LayersModel(config, options);
}
