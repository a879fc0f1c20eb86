import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, ParameterKind, ParameterSpec, parameterName } from '../config';
import { Cell, StepWeights } from './cells';

/** One direction of one layer, in PyTorch's layout. */
export interface DirectionWeights {
  /** `[G·H, H_in]` for layer 0, `[G·H, D·H_out]` above. */
  weightIh: tf.Tensor2D;
  /** `[G·H, H_out]`. */
  weightHh: tf.Tensor2D;
  /** `[G·H]` each; absent when `bias: false`. */
  biasIh?: tf.Tensor1D;
  biasHh?: tf.Tensor1D;
  /** `[H_out, H]`: LSTM with `projSize` only. */
  weightHr?: tf.Tensor2D;
}

/**
 * PyTorch's default initialisation, `U(−1/√H, 1/√H)` for every parameter, as variables
 * keyed by PyTorch's names. With `seed`, parameter i uses seed `seed + i`.
 */
export function initParameters(specs: ParameterSpec[], hiddenSize: number, seed?: number): Map<string, tf.Variable> {
  const bound = 1 / Math.sqrt(hiddenSize);
  const variables = new Map<string, tf.Variable>();
  specs.forEach((spec, index) => {
    const initial = tf.randomUniform(spec.shape, -bound, bound, 'float32', seed === undefined ? undefined : seed + index);
    variables.set(spec.name, tf.variable(initial));
    initial.dispose();
  });
  return variables;
}

/** The parameters of one direction of one layer, looked up by PyTorch's names. */
export function directionWeights(
  parameters: ReadonlyMap<string, tf.Tensor>,
  config: FullRNNConfig,
  layer: number,
  direction: number,
): DirectionWeights {
  const get = (kind: ParameterKind) => parameters.get(parameterName(kind, layer, direction));
  return {
    weightIh: get('weight_ih') as tf.Tensor2D,
    weightHh: get('weight_hh') as tf.Tensor2D,
    biasIh: config.bias ? (get('bias_ih') as tf.Tensor1D) : undefined,
    biasHh: config.bias ? (get('bias_hh') as tf.Tensor1D) : undefined,
    weightHr: config.projSize > 0 ? (get('weight_hr') as tf.Tensor2D) : undefined,
  };
}

/** A direction's weights as its steps use them, and the bias its input projection adds. */
export function stepWeightsOf(cell: Cell, weights: DirectionWeights): { projectionBias?: tf.Tensor1D; stepWeights: StepWeights } {
  const biases = weights.biasIh && weights.biasHh ? cell.splitBias(weights.biasIh, weights.biasHh) : undefined;
  return {
    projectionBias: biases?.projectionBias,
    stepWeights: {
      recurrentT: tf.transpose(weights.weightHh),
      hiddenBias: biases?.hiddenBias,
      projectionT: weights.weightHr && tf.transpose(weights.weightHr),
    },
  };
}
