import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, RNNConfig, checkConfig, numDirections } from '../config';
import { ArgumentError } from '../errors';
import { KerasWeights, checkKerasWeights } from '../mapping/kerasWeights';
import {
  ForwardOptions,
  Lifecycle,
  RNNOutput,
  RecurrentModel,
  batchedInitialState,
  checkInitialState,
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
import { buildLayers } from './build';

export interface LayersRNNOptions {
  /** Seed of the initialisation; random when absent. */
  seed?: number;
}

/**
 * PyTorch's `nn.RNN` assembled from `tf.layers.simpleRNN` (and `tf.layers.bidirectional`),
 * with PyTorch's call: same input layouts, `h0`, `output` and `hN` as `ManualRNN`.
 */
export class LayersRNN implements RecurrentModel {
  readonly config: FullRNNConfig;
  training = true;
  /** One Keras layer per stacked layer: `SimpleRNN`, or `Bidirectional` around one. */
  readonly layers: tf.layers.Layer[];
  private readonly lifecycle = new Lifecycle('model', 'LayersRNN');

  constructor(config: RNNConfig, options: LayersRNNOptions = {}) {
    this.config = checkConfig(config);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ArgumentError('seed', 'an integer', String(options.seed));
    }
    this.layers = buildLayers(this.config, options.seed);
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
    this.lifecycle.check();
    const hasBias = this.config.bias;
    return this.layers.map((layer) => {
      const tensors = layer.getWeights();
      const perDirection = hasBias ? 3 : 2;
      return Array.from({ length: numDirections(this.config) }, (_, direction) => {
        const [kernel, recurrentKernel, bias] = tensors.slice(direction * perDirection, (direction + 1) * perDirection);
        return {
          kernel: kernel as tf.Tensor2D,
          recurrentKernel: recurrentKernel as tf.Tensor2D,
          bias: bias as tf.Tensor1D | undefined,
        };
      });
    });
  }

  /** Copies Keras weights in, after checking every layer, direction and shape. */
  setKerasWeights(weights: KerasWeights): void {
    this.lifecycle.check();
    checkKerasWeights(weights, this.config);
    weights.forEach((layerWeights, index) =>
      this.layers[index].setWeights(
        layerWeights.flatMap(({ kernel, recurrentKernel, bias }) => [kernel, recurrentKernel, ...(bias ? [bias] : [])]),
      ),
    );
  }

  /** Every layer's kernel, recurrent kernel and bias, for an optimizer; owned by this model. */
  trainableVariables(): tf.Variable[] {
    this.lifecycle.check();
    return this.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable));
  }

  /**
   * With `lengths`, every layer gets Keras's mask (`[N, L]`, true at valid steps), which keeps
   * each state past its sequence's end, and the padded steps of the output are set to zero.
   */
  forward(input: tf.Tensor, h0?: tf.Tensor, options?: ForwardOptions): RNNOutput {
    this.lifecycle.check();
    const layout = checkInput(this.config, input);
    checkInitialState(this.config, layout, h0);
    const lengths = checkLengths(layout, options?.lengths);
    const directions = numDirections(this.config);
    return tf.tidy(() => {
      const initialStates = unstackStates(batchedInitialState(this.config, layout, h0));
      const mask = lengths && validStepMask(lengths, layout.seqLen, false);
      const finalStates: tf.Tensor[] = [];
      let sequence = toBatchMajor(this.config, layout, input);
      this.layers.forEach((layer, index) => {
        const initialState = initialStates.slice(index * directions, (index + 1) * directions);
        const [output, ...states] = layer.apply(sequence, { initialState, mask, training: this.training }) as tf.Tensor[];
        finalStates.push(...states);
        sequence = dropoutBetweenLayers(output as tf.Tensor3D, this.config.dropout, this.training, index === this.layers.length - 1);
      });
      const output = lengths === undefined ? sequence : zeroPaddedSteps(sequence, lengths, false);
      return {
        output: fromBatchMajor(this.config, layout, output),
        hN: finalState(layout, tf.stack(finalStates) as tf.Tensor3D),
      };
    });
  }

  /**
   * Frees the weights; every other method throws afterwards, and `dispose()` again does nothing.
   * (`Layer.dispose` refuses layers that were only called eagerly.)
   */
  dispose(): void {
    this.lifecycle.end(() => this.layers.forEach((layer) => layer.weights.forEach((weight) => weight.dispose())));
  }
}
