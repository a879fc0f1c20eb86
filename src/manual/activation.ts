import * as tf from '@tensorflow/tfjs';
import { Nonlinearity } from '../config';

/**
 * Elements per step from which wasm computes tanh through its sigmoid. Below it the extra
 * op of `2σ(2z) − 1` costs more than tanh itself (bench/micro.ts: slower at 1×32, 1.5×
 * faster at 32×128, 2× at 256×256).
 */
export const SIGMOID_TANH_MIN_ELEMENTS = 1024;

/** The step's nonlinearity, applied to `scale · z` (the scale is folded into the step's inputs). */
export interface StepActivation {
  /** A power of two, so that scaling the projection and `W_hhᵀ` is exact. */
  scale: number;
  apply(scaledPreActivation: tf.Tensor2D): tf.Tensor2D;
}

/**
 * The fastest exact form of `act(z)` for steps of `[N, H]` on the active backend. On wasm,
 * `tf.tanh` is a scalar loop while `tf.sigmoid` is XNNPACK's vectorised kernel (about 10×
 * faster at 256×256), so there tanh is `2σ(2z) − 1` once a step is large enough, written
 * as one `addN` of `[s, s, −1]`: `s + s` is exact and the `− 1` rounds once, as a
 * `mul` then `sub` would, in one op instead of two. The `−1` tensor lives in the
 * caller's scope.
 */
export function stepActivation(nonlinearity: Nonlinearity, batchSize: number, hiddenSize: number): StepActivation {
  if (nonlinearity === 'relu') return { scale: 1, apply: (z) => tf.relu(z) };
  if (tf.getBackend() === 'wasm' && batchSize * hiddenSize >= SIGMOID_TANH_MIN_ELEMENTS) {
    const minusOne = tf.fill([batchSize, hiddenSize], -1) as tf.Tensor2D;
    return { scale: 2, apply: (twoZ) => twiceMinusOne(tf.sigmoid(twoZ), minusOne) };
  }
  return { scale: 1, apply: (z) => tf.tanh(z) };
}

/** `2s − 1` as one `addN([s, s, minusOne])`, `minusOne` being −1 in the shape of `s`. */
export function twiceMinusOne<T extends tf.Tensor>(s: T, minusOne: T): T {
  return tf.addN([s, s, minusOne]);
}

/** `x · scale`, or `x` itself when the scale is 1. */
export function scaled<T extends tf.Tensor>(x: T, scale: number): T {
  return scale === 1 ? x : tf.mul(x, scale);
}
