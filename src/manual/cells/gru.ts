import * as tf from '@tensorflow/tfjs-core';
import { Cell, gateBlocks } from './cell';

/**
 * PyTorch's `nn.GRU` cell, Keras's `reset_after=True` GRU. Gate rows r, z, n (Keras: z, r, h):
 *
 *     [p_r p_z p_n] = x_t W_ihᵀ + b_ih + [b_hr, b_hz, 0]
 *     [a_r a_z a_n] = h_{t−1} W_hhᵀ,   a_n += b_hn
 *     r = σ(p_r + a_r),  z = σ(p_z + a_z),  n = tanh(p_n + r ⊙ a_n)
 *     h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}  (computed as (h_{t−1} − n) ⊙ z + n, as PyTorch does)
 *
 * Backward: `d n_pre = d h ⊙ (1 − z)(1 − n²)`, `d z_pre = d h ⊙ (h_{t−1} − n) z(1 − z)`,
 * `d r_pre = d n_pre ⊙ a_n r(1 − r)`; `d p = [d r_pre, d z_pre, d n_pre]`,
 * `d a = [d r_pre, d z_pre, d n_pre ⊙ r]`, `d h_{t−1} = d h ⊙ z + d a W_hh`, `d b_hn = Σ d a_n`.
 */
export function gruCell(): Cell {
  return {
    stateSizes: (config) => [config.hiddenSize],
    splitBias: (biasIh, biasHh) => {
      const [resetBias, updateBias, hiddenBias] = tf.split(biasHh, 3) as tf.Tensor1D[];
      return { projectionBias: tf.add(biasIh, tf.concat([resetBias, updateBias, tf.zerosLike(hiddenBias)])), hiddenBias };
    },
    step: (projection, [hidden], { recurrentT, hiddenBias }) => {
      const [projectedReset, projectedUpdate, projectedNew] = gateBlocks(projection, 3);
      const [recurrentReset, recurrentUpdate, recurrentNewWithoutBias] = gateBlocks(tf.matMul(hidden, recurrentT), 3);
      const recurrentNew = hiddenBias ? tf.add(recurrentNewWithoutBias, hiddenBias) : recurrentNewWithoutBias;
      const reset = tf.sigmoid(tf.add(projectedReset, recurrentReset));
      const update = tf.sigmoid(tf.add(projectedUpdate, recurrentUpdate));
      const candidate = tf.tanh(tf.add(projectedNew, tf.mul(reset, recurrentNew)));
      return [tf.add<tf.Tensor2D>(tf.mul(tf.sub(hidden, candidate), update), candidate)];
    },
    backward: ({ projection, previous: [previousHidden], weights }) => {
      const [seqLen, batchSize, gateSize] = projection.shape;
      const rows = seqLen * batchSize;
      const recurrent = tf.reshape(tf.matMul(tf.reshape<tf.Rank.R2>(previousHidden, [rows, -1]), weights.recurrentT), [seqLen, batchSize, gateSize]);
      const [projectedReset, projectedUpdate, projectedNew] = tf.split(projection, 3, 2) as tf.Tensor3D[];
      const [recurrentReset, recurrentUpdate, recurrentNewWithoutBias] = tf.split(recurrent, 3, 2) as tf.Tensor3D[];
      const recurrentNew = weights.hiddenBias ? tf.add(recurrentNewWithoutBias, weights.hiddenBias) : recurrentNewWithoutBias;
      const reset = tf.sigmoid(tf.add(projectedReset, recurrentReset));
      const update = tf.sigmoid(tf.add(projectedUpdate, recurrentUpdate));
      const candidate = tf.tanh(tf.add(projectedNew, tf.mul(reset, recurrentNew)));
      const sigmoidSlope = (gate: tf.Tensor) => tf.mul(gate, tf.sub(1, gate));
      return {
        tape: [
          tf.mul(tf.sub(1, update), tf.sub(1, tf.square(candidate))),
          tf.mul(tf.sub(previousHidden, candidate), sigmoidSlope(update)),
          tf.mul(recurrentNew, sigmoidSlope(reset)),
          reset,
          update,
        ],
        step: ([dHidden], [candidateSlope, updateSlope, resetSlope, resetGate, updateGate]) => {
          const dNew = tf.mul<tf.Tensor2D>(dHidden, candidateSlope);
          const dReset = tf.mul<tf.Tensor2D>(dNew, resetSlope);
          const dUpdate = tf.mul<tf.Tensor2D>(dHidden, updateSlope);
          return {
            dProjection: tf.concat2d([dReset, dUpdate, dNew], 1),
            dRecurrent: tf.concat2d([dReset, dUpdate, tf.mul<tf.Tensor2D>(dNew, resetGate)], 1),
            dPrevious: [tf.mul<tf.Tensor2D>(dHidden, updateGate)],
          };
        },
        weightGradients: (dRecurrent) => (weights.hiddenBias ? [tf.sum(gateBlocks(dRecurrent, 3)[2], 0)] : []),
      };
    },
  };
}
