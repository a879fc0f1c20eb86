import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '../../../backend/capabilities';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapValues, uninitialisedTensor, wasmKernels } from '../wasm';

/**
 * A host call's way in and out of tensors without a fresh array per call where the backend
 * allows it: a large new array costs more than its copy (fresh pages, and the garbage
 * collector's work to give them back), which makes a call's time vary with what ran before.
 */

/**
 * A float32 tensor's values for reading: on wasm a view of its heap, elsewhere `dataSync`
 * (cpu's own array, a copy on other backends). Valid until the next tf op; never written to.
 */
export function readValues(tensor: tf.Tensor, purpose: string): Float32Array {
  return heapValues(tensor) ?? (readSync(tensor, purpose) as Float32Array);
}

/**
 * A tensor of `shape` holding a copy of `values`, which the caller goes on reusing: a supported
 * tfjs-backend-wasm copies what it is given into its heap; other backends keep the array, so
 * they get a copy.
 */
export function tensorOfValues(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(wasmKernels() !== undefined ? values : values.slice(), shape, 'float32');
}

/**
 * A new float32 tensor of `shape` whose values `fill` writes, in place: on wasm into its heap
 * (`fill` must run no tf op, which could move the heap), elsewhere into the array the tensor
 * then keeps. No array besides the tensor's own.
 */
export function tensorFilledBy(shape: number[], fill: (values: Float32Array) => void): tf.Tensor {
  const kernels = wasmKernels();
  if (kernels === undefined) {
    const values = new Float32Array(tf.util.sizeFromShape(shape));
    fill(values);
    return tf.tensor(values, shape, 'float32');
  }
  const tensor = uninitialisedTensor(kernels.backend as BackendWasm, shape);
  fill(heapValues(tensor)!);
  return tensor;
}
