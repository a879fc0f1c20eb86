import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '../../../backend/capabilities';
import { HostProduct, createHostProduct } from './product';

/**
 * The `HostProduct` `x ↦ bias + x Wᵀ` of tensors read off the backend once: `weightsT`
 * `[columns, rows]` (W transposed, as the steps multiply by it) and a bias `[rows]`.
 */
export function hostProductOf(weightsT: tf.Tensor2D, bias?: tf.Tensor1D): HostProduct {
  const [columns, rows] = weightsT.shape;
  const read = (tensor: tf.Tensor) => readSync(tensor, 'weights on host arrays') as Float32Array;
  return createHostProduct({ weightsT: read(weightsT), rows, columns, bias: bias && read(bias) });
}
