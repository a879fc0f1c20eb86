import * as tf from '@tensorflow/tfjs';
import { HostProduct, hostProduct } from './hostProduct';

/** The `HostProduct` of `Wᵀ` `[columns, rows]` (and a bias `[rows]`), read off the backend once. */
export function productOfTransposed(weightsT: tf.Tensor2D, bias?: tf.Tensor1D): HostProduct {
  const [columns, rows] = weightsT.shape;
  return hostProduct({ weightsT: weightsT.dataSync() as Float32Array, rows, columns, bias: bias?.dataSync() as Float32Array | undefined });
}
