import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, layerInputSize, numDirections } from '../config';
import { ShapeError, formatShape } from '../errors';

/** One direction of one `tf.layers.simpleRNN`, in Keras layout. */
export interface KerasDirectionWeights {
  /** `[H_in, H]` (`D·H` above layer 0). */
  kernel: tf.Tensor2D;
  /** `[H, H]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[H]`; absent when `bias: false`. */
  bias?: tf.Tensor1D;
}

/** Keras weights of every layer (outer) and direction (inner: forward, then backward). */
export type KerasWeights = KerasDirectionWeights[][];

function directionLabel(layer: number, direction: number): string {
  return `layers[${layer}].${direction === 1 ? 'backward' : 'forward'}`;
}

function checkShape(name: string, tensor: tf.Tensor | undefined, expected: number[]): void {
  const actual = tensor === undefined ? 'nothing' : formatShape(tensor.shape);
  if (tensor === undefined || !tf.util.arraysEqual(tensor.shape, expected)) {
    throw new ShapeError(name, formatShape(expected), actual);
  }
}

/** Checks that `weights` has every layer, direction and tensor `config` needs, with Keras shapes. */
export function checkKerasWeights(weights: KerasWeights, config: FullRNNConfig): void {
  const directions = numDirections(config);
  if (!Array.isArray(weights) || weights.length !== config.numLayers) {
    throw new ShapeError('layers', `${config.numLayers} layers`, String(Array.isArray(weights) ? weights.length : weights));
  }
  const { hiddenSize } = config;
  weights.forEach((layerWeights, layer) => {
    if (!Array.isArray(layerWeights) || layerWeights.length !== directions) {
      throw new ShapeError(`layers[${layer}]`, `${directions} directions`, String(layerWeights?.length));
    }
    layerWeights.forEach((direction, index) => {
      const label = directionLabel(layer, index);
      checkShape(`${label}.kernel`, direction.kernel, [layerInputSize(config, layer), hiddenSize]);
      checkShape(`${label}.recurrentKernel`, direction.recurrentKernel, [hiddenSize, hiddenSize]);
      if (config.bias) {
        checkShape(`${label}.bias`, direction.bias, [hiddenSize]);
      } else if (direction.bias !== undefined) {
        throw new ShapeError(`${label}.bias`, 'no bias (bias: false)', formatShape(direction.bias.shape));
      }
    });
  });
}
