import * as tf from '@tensorflow/tfjs-core';
import { StepWeights } from '../../cells';
import { WasmKernels, copyGates, matMulBy, recurOnWasm } from './stepLoop';

/**
 * The LSTM's forward steps on wasm's kernels (see `cells/lstm.ts` for the maths, `stepLoop.ts` for
 * the engine). Per step:
 *
 *     [i f g o] = p_t + h_{t−1} W_hhᵀ              one matMul, one add over the [N, 4H] rows
 *     the four gate blocks copied apart ([4, N, H]: elementwise kernels need each gate whole)
 *     g ← g + g;  σ over the four blocks           i′ f′ σ(2g) o′
 *     c_t = f′ ⊙ c_{t−1} + i′ ⊙ (2σ(2g) − 1)
 *     h_t = o′ ⊙ (2σ(2c_t) − 1)                    (· W_hrᵀ with projSize, a second matMul)
 *
 * tanh is `2σ(2z) − 1`, as in `wasm/rnn.ts` (wasm's tanh is a scalar loop): `2z` by one exact
 * doubling, `2s − 1` rounding once. Buffers are written in place wherever the value read is
 * not needed again. With `lengths`, row b keeps both states at steps `t ≥ lengths[b]`.
 * @returns h `[L, N, H_out]` and c `[L, N, H]`, in time order.
 */
export function lstmStepsOnWasm(
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  { recurrentT, projectionT }: StepWeights,
  options: { reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D[] {
  const [, batchSize, gateSize] = projection.shape;
  const hiddenSize = gateSize / 4;
  const outSize = initial[0].shape[1];
  const stepSize = batchSize * hiddenSize;
  const layout = { batchSize, hiddenSize, gateCount: 4, gates: [0, 1, 2, 3] };
  return recurOnWasm(kernels, projection, initial, options, (buffers, projectionStep) => {
    const [product, gates] = [buffers.scratch(batchSize * gateSize), buffers.scratch(batchSize * gateSize)];
    const [input, forget, candidate, output] = buffers.blocks(gates.offset, 4, stepSize);
    const cellTanh = buffers.scratch(stepSize);
    const unprojected = projectionT && buffers.scratch(stepSize);
    const recurrentProduct = matMulBy(kernels, buffers.borrow(recurrentT).id, [batchSize, outSize, gateSize]);
    const project = projectionT && matMulBy(kernels, buffers.borrow(projectionT).id, [batchSize, hiddenSize, outSize]);
    const [rows, blocks] = [buffers.elementwise(batchSize * gateSize), buffers.elementwise(stepSize)];
    return ([previousHidden, previousCell], [hidden, cell]) => {
      recurrentProduct(previousHidden, product.id);
      rows.add(projectionStep.id, product.id, product.id);
      copyGates(kernels.backend, product.offset, gates.offset, layout);
      blocks.add(candidate.id, candidate.id, candidate.id);
      rows.sigmoid(gates.id, gates.id);
      blocks.twiceMinusOne(candidate.id, candidate.id);
      blocks.multiply(input.id, candidate.id, candidate.id);
      blocks.multiply(forget.id, previousCell, forget.id);
      blocks.add(forget.id, candidate.id, cell);
      blocks.add(cell, cell, cellTanh.id);
      blocks.sigmoid(cellTanh.id, cellTanh.id);
      blocks.twiceMinusOne(cellTanh.id, cellTanh.id);
      if (project && unprojected) {
        blocks.multiply(output.id, cellTanh.id, unprojected.id);
        project(unprojected.id, hidden);
      } else {
        blocks.multiply(output.id, cellTanh.id, hidden);
      }
    };
  });
}
