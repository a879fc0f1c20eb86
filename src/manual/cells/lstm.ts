import * as tf from '@tensorflow/tfjs-core';
import { outputSize } from '../../config';
import { transposedMatMul } from '../transposedMatMul';
import { Cell, gateBlocks } from './cell';

/**
 * PyTorch's `nn.LSTM` cell. Gate rows i, f, g, o (Keras's i, f, c, o):
 *
 *     [i f g o] = p_t + h_{t−1} W_hhᵀ,   p_t = x_t W_ihᵀ + b_ih + b_hh
 *     c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g)
 *     h_t = σ(o) ⊙ tanh(c_t)                  (· W_hrᵀ with projSize > 0)
 *
 * States (h `[N, H_out]`, c `[N, H]`). Backward, with `m = σ(o) ⊙ tanh(c_t)` and primes on
 * the activated gates: `d m = d h_t (W_hr)`, `d c = d c_t + d m ⊙ o′(1 − tanh²c_t)`,
 * `d pre = [d c ⊙ g′ ⊙ i′(1 − i′), d c ⊙ c_{t−1} ⊙ f′(1 − f′), d c ⊙ i′ ⊙ (1 − g′²),
 * d m ⊙ tanh c_t ⊙ o′(1 − o′)]`, `d c_{t−1} = d c ⊙ f′`, `d h_{t−1} = d pre W_hh`,
 * `d W_hrᵀ = Σ mᵀ d h_t`.
 */
export function lstmCell(): Cell {
  return {
    stateSizes: (config) => [outputSize(config), config.hiddenSize],
    splitBias: (biasIh, biasHh) => ({ projectionBias: tf.add(biasIh, biasHh) }),
    step: (projection, [hidden, cell], { recurrentT, projectionT }) => {
      const [input, forget, candidate, output] = gateBlocks(tf.add(projection, tf.matMul(hidden, recurrentT)), 4);
      const nextCell = tf.add<tf.Tensor2D>(tf.mul(tf.sigmoid(forget), cell), tf.mul(tf.sigmoid(input), tf.tanh(candidate)));
      const unprojected = tf.mul<tf.Tensor2D>(tf.sigmoid(output), tf.tanh(nextCell));
      return [projectionT ? tf.matMul(unprojected, projectionT) : unprojected, nextCell];
    },
    backward: ({ projection, states: [, cells], previous: [previousHidden, previousCells], weights }) => {
      const [seqLen, batchSize, gateSize] = projection.shape;
      const rows = seqLen * batchSize;
      const flatPrevious = tf.reshape<tf.Rank.R2>(previousHidden, [rows, -1]);
      const preActivation = tf.add(projection, tf.reshape(tf.matMul(flatPrevious, weights.recurrentT), [seqLen, batchSize, gateSize]));
      const [inputPre, forgetPre, candidatePre, outputPre] = tf.split(preActivation, 4, 2) as tf.Tensor3D[];
      const [input, forget, candidate, output] = [tf.sigmoid(inputPre), tf.sigmoid(forgetPre), tf.tanh(candidatePre), tf.sigmoid(outputPre)];
      const cellTanh = tf.tanh(cells);
      const sigmoidSlope = (gate: tf.Tensor3D) => tf.mul(gate, tf.sub(1, gate));
      const weightHr = weights.projectionT && tf.transpose<tf.Tensor2D>(weights.projectionT);
      return {
        tape: [
          tf.mul(output, tf.sub(1, tf.square(cellTanh))),
          tf.concat([
            tf.mul(candidate, sigmoidSlope(input)),
            tf.mul(previousCells, sigmoidSlope(forget)),
            tf.mul(input, tf.sub(1, tf.square(candidate))),
          ], 2),
          tf.mul(cellTanh, sigmoidSlope(output)),
          forget,
        ],
        step: ([dHidden, dCell], [cellSlope, inputGateSlopes, outputSlope, forgetGate]) => {
          const dUnprojected = weightHr ? tf.matMul(dHidden, weightHr) : dHidden;
          const dCellTotal = tf.add<tf.Tensor2D>(dCell, tf.mul(dUnprojected, cellSlope));
          const dPre = tf.concat2d([tf.mul<tf.Tensor2D>(tf.tile(dCellTotal, [1, 3]), inputGateSlopes), tf.mul<tf.Tensor2D>(dUnprojected, outputSlope)], 1);
          return { dProjection: dPre, dRecurrent: dPre, dPrevious: [undefined, tf.mul<tf.Tensor2D>(dCellTotal, forgetGate)] };
        },
        weightGradients: (_dRecurrent, dHidden) =>
          weights.projectionT ? [transposedMatMul(tf.reshape(tf.mul(output, cellTanh), [rows, -1]), dHidden())] : [],
      };
    },
  };
}
