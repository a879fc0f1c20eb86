import * as tf from '@tensorflow/tfjs-core';
import { backendCapabilities } from '../backend/capabilities';

/** Tensor helpers of the engines and the backward pass: a sequence split into steps, rows into blocks, steps in reading order. */

/**
 * Splits `[R, F]` into tensors of `rowsPerBlock` rows (the last may have fewer) with one
 * read of the data where reads are host copies (`backendCapabilities`). Backends such as
 * wasm copy the whole source on every `tf.slice`, which makes slicing each block cost
 * O(R²); this costs one copy. Elsewhere (webgl, webgpu) a read would stall the GPU, and
 * `tf.split` cuts the blocks on the device. Not differentiable: for use inside a `customGrad`.
 */
export function splitRows(matrix: tf.Tensor2D, rowsPerBlock: number): tf.Tensor2D[] {
  const [rows, features] = matrix.shape;
  if (!backendCapabilities().hostPath) {
    const sizes = Array.from({ length: Math.ceil(rows / rowsPerBlock) }, (_, block) => Math.min(rowsPerBlock, rows - block * rowsPerBlock));
    return sizes.length === 1 ? [tf.clone(matrix)] : tf.split(matrix, sizes, 0);
  }
  const values = matrix.dataSync() as Float32Array;
  const blocks: tf.Tensor2D[] = [];
  for (let start = 0; start < rows; start += rowsPerBlock) {
    const end = Math.min(start + rowsPerBlock, rows);
    blocks.push(tf.tensor2d(values.subarray(start * features, end * features), [end - start, features]));
  }
  return blocks;
}

/** `[L, N, F]` as L steps `[N, F]`, with one read of the data (see `splitRows`). */
export function splitSteps(sequence: tf.Tensor3D): tf.Tensor2D[] {
  const [seqLen, batchSize, features] = sequence.shape;
  return tf.tidy(() => splitRows(tf.reshape(sequence, [seqLen * batchSize, features]), batchSize));
}

/** Time indices in the order a direction reads them. */
export function readingOrder(seqLen: number, reverse: boolean): number[] {
  const order = Array.from({ length: seqLen }, (_, t) => t);
  return reverse ? order.reverse() : order;
}
