import * as tf from '@tensorflow/tfjs';
import { RNNConfig, checkConfig, checkParameterShapes, numDirections, parameterName } from '../config';
import { KerasWeights, checkKerasWeights } from './kerasWeights';

/**
 * PyTorch → Keras, for every layer and direction:
 *
 *     kernel          = W_ihᵀ          [H_in, H]
 *     recurrentKernel = W_hhᵀ          [H, H]
 *     bias            = b_ih + b_hh    [H]
 *
 * Exact: `x·kernel + bias + h·recurrentKernel` is PyTorch's pre-activation.
 * Returns new tensors, owned by the caller.
 */
export function torchToKeras(stateDict: Record<string, tf.Tensor>, config: RNNConfig): KerasWeights {
  const full = checkConfig(config);
  checkParameterShapes(stateDict, full);
  return tf.tidy(() =>
    Array.from({ length: full.numLayers }, (_, layer) =>
      Array.from({ length: numDirections(full) }, (_, direction) => {
        const get = (kind: Parameters<typeof parameterName>[0]) => stateDict[parameterName(kind, layer, direction)];
        return {
          kernel: tf.transpose(get('weight_ih') as tf.Tensor2D),
          recurrentKernel: tf.transpose(get('weight_hh') as tf.Tensor2D),
          bias: full.bias ? tf.add<tf.Tensor1D>(get('bias_ih'), get('bias_hh')) : undefined,
        };
      }),
    ),
  ) as unknown as KerasWeights;
}

/**
 * Keras → PyTorch, for every layer and direction:
 *
 *     W_ih = kernelᵀ,  W_hh = recurrentKernelᵀ,  b_ih = bias,  b_hh = 0
 *
 * Lossy: Keras keeps only the sum of PyTorch's two biases, so the split between them is
 * not recovered; the outputs are the same. Returns new tensors, owned by the caller.
 */
export function kerasToTorch(weights: KerasWeights, config: RNNConfig): Record<string, tf.Tensor> {
  const full = checkConfig(config);
  checkKerasWeights(weights, full);
  return tf.tidy(() => {
    const stateDict: Record<string, tf.Tensor> = {};
    weights.forEach((layerWeights, layer) =>
      layerWeights.forEach(({ kernel, recurrentKernel, bias }, direction) => {
        stateDict[parameterName('weight_ih', layer, direction)] = tf.transpose(kernel);
        stateDict[parameterName('weight_hh', layer, direction)] = tf.transpose(recurrentKernel);
        if (bias !== undefined) {
          stateDict[parameterName('bias_ih', layer, direction)] = tf.clone(bias);
          stateDict[parameterName('bias_hh', layer, direction)] = tf.zerosLike(bias);
        }
      }),
    );
    return stateDict;
  });
}

/** Disposes every tensor of a `KerasWeights`. */
export function disposeKerasWeights(weights: KerasWeights): void {
  weights.flat().forEach(({ kernel, recurrentKernel, bias }) => tf.dispose([kernel, recurrentKernel, ...(bias ? [bias] : [])]));
}
