import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, Nonlinearity } from '../../config';
import { Cell } from './cell';

/**
 * PyTorch's `nn.RNN` cell, one gate:
 *
 *     h_t = act(p_t + h_{t−1} W_hhᵀ),   p_t = x_t W_ihᵀ + b_ih + b_hh,   act = tanh or relu
 *
 * Backward: `d p_t = d h_t ⊙ act′`, with `act′ = 1 − h_t²` (tanh) or `h_t > 0` (relu), read
 * off the states alone; `d h_{t−1} = d p_t W_hh`.
 */
export function rnnCell({ nonlinearity }: FullRNNConfig): Cell {
  const activation: (z: tf.Tensor2D) => tf.Tensor2D = nonlinearity === 'tanh' ? tf.tanh : tf.relu;
  return {
    stateSizes: (config) => [config.hiddenSize],
    splitBias: (biasIh, biasHh) => ({ projectionBias: tf.add(biasIh, biasHh) }),
    step: (projection, [previous], { recurrentT }) => [activation(tf.add(projection, tf.matMul(previous, recurrentT)))],
    backward: ({ states: [states] }) => ({
      tape: [activationSlope(nonlinearity, states)],
      step: ([dState], [slope]) => {
        const dPre = tf.mul<tf.Tensor2D>(dState, slope);
        return { dProjection: dPre, dRecurrent: dPre, dPrevious: [undefined] };
      },
      weightGradients: () => [],
    }),
  };
}

/** d h_t / d a_t for every step, from the states alone: `1 − h²` (tanh) or `h > 0` (relu). */
function activationSlope(nonlinearity: Nonlinearity, states: tf.Tensor3D): tf.Tensor3D {
  return nonlinearity === 'tanh' ? tf.sub(1, tf.square(states)) : tf.step(states);
}
