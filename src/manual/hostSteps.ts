import * as tf from '@tensorflow/tfjs';

/**
 * Splits `[L, N, F]` into L tensors `[N, F]` with one read of the data. Backends such
 * as wasm copy the whole source on every `tf.slice`, which makes `tf.unstack` cost
 * O(L²); this costs one copy. Not differentiable: for use inside a `customGrad`.
 */
export function splitSteps(sequence: tf.Tensor3D): tf.Tensor2D[] {
  const [seqLen, batchSize, features] = sequence.shape;
  const values = sequence.dataSync() as Float32Array;
  const stepSize = batchSize * features;
  const steps: tf.Tensor2D[] = [];
  for (let t = 0; t < seqLen; t++) {
    steps.push(tf.tensor2d(values.subarray(t * stepSize, (t + 1) * stepSize), [batchSize, features]));
  }
  return steps;
}

/** Time indices in the order a direction reads them. */
export function readingOrder(seqLen: number, reverse: boolean): number[] {
  const order = Array.from({ length: seqLen }, (_, t) => t);
  return reverse ? order.reverse() : order;
}
