import * as tf from '@tensorflow/tfjs-core';
import { Nonlinearity } from '../../../config';
import { FLOAT32, WasmKernels, matMulBy, recurOnWasm } from './stepLoop';

/**
 * The RNN's forward steps on wasm's kernels (see `cells/rnn.ts` for the maths, `stepLoop.ts` for
 * the engine): `projection` `[L, N, H]`, `initial` `[N, H]`, `recurrentT` `[H, H]` (`W_hhᵀ`)
 * → `[L, N, H]`, in time order.
 *
 * tanh is `2σ(2z) − 1` (wasm's tanh is a scalar loop, its sigmoid XNNPACK's vector kernel):
 * `2z` is `p + p + h·2W_hhᵀ` (doubling is exact, so this is `2·(p + h·W_hhᵀ)` to the
 * bit) and `2s − 1` is `s + s − 1`, each rounding once (`Elementwise`). relu is `relu(p + h·W_hhᵀ)`.
 * With `lengths`, row b keeps its previous state at steps `t ≥ lengths[b]`.
 */
export function rnnStepsOnWasm(
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D,
  recurrentT: tf.Tensor2D,
  { nonlinearity, reverse, lengths }: { nonlinearity: Nonlinearity; reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D {
  const [, batchSize, hiddenSize] = projection.shape;
  const stepSize = batchSize * hiddenSize;
  const tanh = nonlinearity === 'tanh';
  const [states] = recurOnWasm(kernels, projection, [initial], { reverse, lengths }, (buffers, projectionStep) => {
    // W_hhᵀ as the step multiplies by it: doubled for tanh's 2z.
    const weights = tanh ? buffers.keep(tf.mul(recurrentT, 2)) : buffers.borrow(recurrentT);
    const [product, preActivation] = [buffers.scratch(stepSize), buffers.scratch(stepSize)];
    const recurrentProduct = matMulBy(kernels, weights.id, [batchSize, hiddenSize, hiddenSize]);
    const ops = buffers.elementwise(stepSize);
    return ([previous], [next]) => {
      recurrentProduct(previous, product.id);
      if (tanh) {
        ops.doubledPlus(projectionStep.id, product.id, preActivation.id);
        ops.sigmoid(preActivation.id, preActivation.id);
        ops.twiceMinusOne(preActivation.id, next);
      } else {
        ops.add(projectionStep.id, product.id, preActivation.id);
        kernels.relu(preActivation.id, FLOAT32, next);
      }
    };
  });
  return states;
}
