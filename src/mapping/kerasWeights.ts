import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, GATE_COUNTS, layerInputSize, numDirections, outputSize } from '../config';
import { ShapeError, describeValue, formatShape } from '../errors';
import { checkTensor } from '../shapes';

/** One direction of one Keras recurrent layer, in Keras layout (G gates, H units, H_out state). */
export interface KerasDirectionWeights {
  /** `[H_in, G·H]` (`D·H_out` above layer 0). */
  kernel: tf.Tensor2D;
  /** `[H_out, G·H]`. */
  recurrentKernel: tf.Tensor2D;
  /** `[G·H]`, or the GRU's `[2, 3H]` (input bias, recurrent bias); absent when `bias: false`. */
  bias?: tf.Tensor;
  /** `[H, H_out]`: LSTM with `projSize` only. */
  projectionKernel?: tf.Tensor2D;
}

/** Keras weights of every layer (outer) and direction (inner: forward, then backward). */
export type KerasWeights = KerasDirectionWeights[][];

export function directionLabel(layer: number, direction: number): string {
  return `layers[${layer}].${direction === 1 ? 'backward' : 'forward'}`;
}

/** A live float32 tensor of shape `expected`, or a typed error naming it. */
function checkShape(name: string, tensor: tf.Tensor | undefined, expected: number[]): void {
  if (tensor === undefined) throw new ShapeError(name, formatShape(expected), 'nothing');
  const { shape } = checkTensor(name, tensor);
  if (!tf.util.arraysEqual(shape, expected)) throw new ShapeError(name, formatShape(expected), formatShape(shape));
}

function checkAbsent(name: string, tensor: tf.Tensor | undefined, reason: string): void {
  if (tensor !== undefined) throw new ShapeError(name, `nothing (${reason})`, formatShape(tensor.shape));
}

/** The shape of a Keras bias: `[G·H]`, or `[2, 3H]` for the GRU, whose two biases stay apart. */
export function kerasBiasShape(config: FullRNNConfig): number[] {
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  return config.mode === 'GRU' ? [2, gateSize] : [gateSize];
}

/**
 * Checks that `weights` has every layer, direction and tensor `config` needs: live float32
 * tensors with Keras shapes. Nothing is assigned anywhere before this passes.
 */
export function checkKerasWeights(weights: KerasWeights, config: FullRNNConfig): void {
  const directions = numDirections(config);
  if (!Array.isArray(weights) || weights.length !== config.numLayers) {
    throw new ShapeError('layers', `${config.numLayers} layers`, Array.isArray(weights) ? String(weights.length) : describeValue(weights));
  }
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  weights.forEach((layerWeights, layer) => {
    if (!Array.isArray(layerWeights) || layerWeights.length !== directions) {
      throw new ShapeError(`layers[${layer}]`, `${directions} directions`, Array.isArray(layerWeights) ? String(layerWeights.length) : describeValue(layerWeights));
    }
    layerWeights.forEach((direction, index) => {
      const label = directionLabel(layer, index);
      checkShape(`${label}.kernel`, direction.kernel, [layerInputSize(config, layer), gateSize]);
      checkShape(`${label}.recurrentKernel`, direction.recurrentKernel, [outputSize(config), gateSize]);
      if (config.bias) checkShape(`${label}.bias`, direction.bias, kerasBiasShape(config));
      else checkAbsent(`${label}.bias`, direction.bias, 'bias: false');
      if (config.projSize > 0) checkShape(`${label}.projectionKernel`, direction.projectionKernel, [config.hiddenSize, config.projSize]);
      else checkAbsent(`${label}.projectionKernel`, direction.projectionKernel, 'projSize: 0');
    });
  });
}
