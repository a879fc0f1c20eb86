import * as tf from '@tensorflow/tfjs';
import { HostProduct, createHostProduct } from './product';

/**
 * The `HostProduct` `x ↦ bias + x Wᵀ` of tensors read off the backend once: `weightsT`
 * `[columns, rows]` (W transposed, as the steps multiply by it) and a bias `[rows]`.
 */
export function hostProductOf(weightsT: tf.Tensor2D, bias?: tf.Tensor1D): HostProduct {
  const [columns, rows] = weightsT.shape;
  return createHostProduct({ weightsT: weightsT.dataSync() as Float32Array, rows, columns, bias: bias?.dataSync() as Float32Array | undefined });
}
