import * as tf from '@tensorflow/tfjs-core';
import { splitRows } from './tensorSteps';

/**
 * Rows summed by one matMul in `transposedMatMul`; the blocks' products are then added
 * pairwise. One float32 sum over all rows (L·N of them in a weight gradient) loses digits
 * PyTorch keeps; blocks of this size sum about as accurately as the matMul kernels' own
 * blocking, and each runs as one XNNPACK matMul on wasm.
 */
export const PRODUCT_BLOCK_ROWS = 256;

/** `Σ tensors`, added pairwise (rounding error growing with log₂ of their number). */
function pairwiseSum(tensors: tf.Tensor2D[]): tf.Tensor2D {
  let level = tensors;
  while (level.length > 1) {
    const next: tf.Tensor2D[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/**
 * `aᵀ·b` for `a` `[R, P]` and `b` `[R, Q]` → `[P, Q]`, a sum over R rows: the products of
 * blocks of `PRODUCT_BLOCK_ROWS` rows, added pairwise, each block transposed explicitly
 * (wasm runs a matMul with a transpose flag as a scalar loop instead of XNNPACK: 1 s for
 * `dW_ih` at (256, 50, 128, 256)). Not differentiable: for use inside a `customGrad`.
 */
export function transposedMatMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [aBlocks, bBlocks] = [splitRows(a, PRODUCT_BLOCK_ROWS), splitRows(b, PRODUCT_BLOCK_ROWS)];
  return pairwiseSum(aBlocks.map((block, i) => tf.matMul(tf.transpose(block), bBlocks[i])));
}
