import * as tf from '@tensorflow/tfjs';
import { readSync } from '../../backend/capabilities';
import { HostProduct, hostProduct } from './hostProduct';

/** The `HostProduct` of `Wᵀ` `[columns, rows]` (and a bias `[rows]`), read off the backend once. */
export function productOfTransposed(weightsT: tf.Tensor2D, bias?: tf.Tensor1D): HostProduct {
  const [columns, rows] = weightsT.shape;
  const read = (tensor: tf.Tensor) => readSync(tensor, 'weights on host arrays') as Float32Array;
  return hostProduct({ weightsT: read(weightsT), rows, columns, bias: bias && read(bias) });
}
