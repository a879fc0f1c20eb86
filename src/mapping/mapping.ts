import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, GATE_COUNTS, Mode, ParameterKind, RNNConfig, checkConfig, checkParameterShapes, numDirections, parameterName } from '../config';
import { KerasWeights, checkKerasWeights } from './kerasWeights';

/**
 * Where each of PyTorch's gate blocks goes in Keras's: RNN one block; LSTM i, f, g, o is
 * Keras's i, f, c, o; GRU r, z, n becomes Keras's z, r, h. Entry k is the PyTorch block that
 * Keras keeps k-th (each order here is its own inverse).
 */
const KERAS_GATE_ORDER: Readonly<Record<Mode, number[]>> = { RNN: [0], LSTM: [0, 1, 2, 3], GRU: [1, 0, 2] };

/** `x`'s gate blocks along `axis` (rows of a PyTorch weight, entries of a bias) in Keras's order, and back. */
function reorderGates<T extends tf.Tensor>(x: T, config: FullRNNConfig, axis: number): T {
  const order = KERAS_GATE_ORDER[config.mode];
  if (order.every((block, index) => block === index)) return tf.clone(x);
  const blocks = tf.split(x, GATE_COUNTS[config.mode], axis);
  return tf.concat(order.map((block) => blocks[block]), axis) as T;
}

/**
 * PyTorch → Keras, for every layer and direction (gate blocks reordered as `KERAS_GATE_ORDER`):
 *
 *     kernel           = W_ihᵀ            [H_in, G·H]
 *     recurrentKernel  = W_hhᵀ            [H_out, G·H]
 *     bias             = b_ih + b_hh      [G·H]      (GRU: [b_ih; b_hh]  [2, 3H])
 *     projectionKernel = W_hrᵀ            [H, H_out]  (LSTM with projSize)
 *
 * Exact: `x·kernel + bias + h·recurrentKernel` is PyTorch's pre-activation (for the GRU,
 * whose recurrent bias sits inside `r ⊙ (…)`, Keras's `reset_after=True` keeps both biases).
 * Returns new tensors, owned by the caller.
 */
export function torchToKeras(stateDict: Record<string, tf.Tensor>, config: RNNConfig): KerasWeights {
  const full = checkConfig(config);
  checkParameterShapes(stateDict, full);
  return tf.tidy(() =>
    Array.from({ length: full.numLayers }, (_, layer) =>
      Array.from({ length: numDirections(full) }, (_, direction) => {
        const get = (kind: ParameterKind) => stateDict[parameterName(kind, layer, direction)];
        const keras = (tensor: tf.Tensor) => reorderGates(tensor, full, 0);
        const [biasIh, biasHh] = full.bias ? [keras(get('bias_ih')), keras(get('bias_hh'))] : [];
        return {
          kernel: tf.transpose(keras(get('weight_ih'))) as tf.Tensor2D,
          recurrentKernel: tf.transpose(keras(get('weight_hh'))) as tf.Tensor2D,
          bias: biasIh && biasHh && (full.mode === 'GRU' ? tf.stack([biasIh, biasHh]) : tf.add(biasIh, biasHh)),
          projectionKernel: full.projSize > 0 ? (tf.transpose(get('weight_hr')) as tf.Tensor2D) : undefined,
        };
      }),
    ),
  ) as unknown as KerasWeights;
}

/**
 * Keras → PyTorch, for every layer and direction:
 *
 *     W_ih = kernelᵀ,  W_hh = recurrentKernelᵀ,  W_hr = projectionKernelᵀ,
 *     b_ih = bias,  b_hh = 0             (GRU: b_ih = bias[0], b_hh = bias[1])
 *
 * Lossy for the RNN and the LSTM: Keras keeps only the sum of PyTorch's two biases, so the
 * split between them is not recovered; the outputs are the same. Exact for the GRU.
 * Returns new tensors, owned by the caller.
 */
export function kerasToTorch(weights: KerasWeights, config: RNNConfig): Record<string, tf.Tensor> {
  const full = checkConfig(config);
  checkKerasWeights(weights, full);
  return tf.tidy(() => {
    const stateDict: Record<string, tf.Tensor> = {};
    weights.forEach((layerWeights, layer) =>
      layerWeights.forEach(({ kernel, recurrentKernel, bias, projectionKernel }, direction) => {
        const set = (kind: ParameterKind, tensor: tf.Tensor) => (stateDict[parameterName(kind, layer, direction)] = tensor);
        const torch = (tensor: tf.Tensor) => reorderGates(tensor, full, 0);
        set('weight_ih', torch(tf.transpose(kernel)));
        set('weight_hh', torch(tf.transpose(recurrentKernel)));
        if (bias !== undefined) {
          const [biasIh, biasHh] = full.mode === 'GRU' ? tf.unstack(bias) : [bias, tf.zerosLike(bias)];
          set('bias_ih', torch(biasIh));
          set('bias_hh', torch(biasHh));
        }
        if (projectionKernel !== undefined) set('weight_hr', tf.transpose(projectionKernel));
      }),
    );
    return stateDict;
  });
}

/** Disposes every tensor of a `KerasWeights`. */
export function disposeKerasWeights(weights: KerasWeights): void {
  weights.flat().forEach((direction) => tf.dispose(Object.values(direction).filter((tensor) => tensor !== undefined)));
}
