import * as tf from '@tensorflow/tfjs-core';
import { StepWeights } from '../../cells';
import { FLOAT32, WasmKernels, copyGates, int32Bytes, matMulBy, recurOnWasm } from './stepLoop';

/**
 * The GRU's forward steps on wasm's kernels (see `cells/gru.ts` for the maths, `stepLoop.ts` for
 * the engine). Per step, with the n block of `W_hhᵀ` and `b_hn` doubled once (exact):
 *
 *     [a_r a_z 2a_n] = h_{t−1} [W_hr W_hz 2W_hn]ᵀ    one matMul, [N, 3H] rows
 *     2a_n, p_n, and the r, z blocks of p_t + a copied apart ([·, N, H] each)
 *     r, z = σ(…);  2ñ = p_n + p_n + r ⊙ (2a_n + 2b_hn)   = 2(p_n + r ⊙ (a_n + b_hn)) to the bit
 *     n = 2σ(2ñ) − 1;  h_t = (h_{t−1} − n) ⊙ z + n
 *
 * tanh is `2σ(2z) − 1`, as in `wasm/rnn.ts` (wasm's tanh is a scalar loop). Buffers are
 * written in place wherever the value read is not needed again. With `lengths`, row b keeps
 * its state at steps `t ≥ lengths[b]`.
 * @returns h `[L, N, H]`, in time order.
 */
export function gruStepsOnWasm(
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  { recurrentT, hiddenBias }: StepWeights,
  options: { reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D[] {
  const [, batchSize, gateSize] = projection.shape;
  const hiddenSize = gateSize / 3;
  const stepSize = batchSize * hiddenSize;
  const layout = (gates: number[]) => ({ batchSize, hiddenSize, gateCount: 3, gates });
  return recurOnWasm(kernels, projection, initial, options, (buffers, projectionStep) => {
    const weights = buffers.keep(tf.tidy(() => tf.mul(recurrentT, tf.concat([tf.ones([2 * hiddenSize]), tf.fill([hiddenSize], 2)]))));
    const doubledBias = hiddenBias && buffers.keep(tf.mul(hiddenBias, 2));
    const product = buffers.scratch(batchSize * gateSize);
    const gates = buffers.scratch(2 * stepSize);
    const [reset, update] = buffers.blocks(gates.offset, 2, stepSize);
    const [recurrentNew, candidate] = [buffers.scratch(stepSize), buffers.scratch(stepSize)];
    const recurrentProduct = matMulBy(kernels, weights.id, [batchSize, hiddenSize, gateSize]);
    const [rows, blocks] = [buffers.elementwise(batchSize * gateSize), buffers.elementwise(stepSize)];
    const [stepShape, biasShape] = [int32Bytes([batchSize, hiddenSize]), int32Bytes([hiddenSize])];
    return ([previous], [next]) => {
      recurrentProduct(previous, product.id);
      copyGates(kernels.backend, product.offset, recurrentNew.offset, layout([2]));
      copyGates(kernels.backend, projectionStep.offset, candidate.offset, layout([2]));
      rows.add(projectionStep.id, product.id, product.id);
      copyGates(kernels.backend, product.offset, gates.offset, layout([0, 1]));
      if (doubledBias) kernels.add(recurrentNew.id, stepShape, 2, doubledBias.id, biasShape, 1, FLOAT32, recurrentNew.id);
      blocks.sigmoid(gates.id, gates.id);
      blocks.multiply(reset.id, recurrentNew.id, recurrentNew.id);
      blocks.doubledPlus(candidate.id, recurrentNew.id, candidate.id);
      blocks.sigmoid(candidate.id, candidate.id);
      blocks.twiceMinusOne(candidate.id, candidate.id);
      // (h_{t−1} − n) ⊙ z + n, through recurrentNew's buffer, free again.
      blocks.sub(previous, candidate.id, recurrentNew.id);
      blocks.multiply(recurrentNew.id, update.id, recurrentNew.id);
      blocks.add(recurrentNew.id, candidate.id, next);
    };
  });
}
