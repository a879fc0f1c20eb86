import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError, describeValue } from '../errors';
import { SequenceLayout } from './sequence';

/** Valid steps of every sequence of a padded batch, in the caller's batch order. */
export type SequenceLengths = number[] | Int32Array;

/** Options of a forward call beyond `input` and `h0`. */
export interface ForwardOptions {
  /**
   * `[N]`: sequence b is valid for its first `lengths[b]` steps and padded after them, as
   * PyTorch's `pack_padded_sequence(input, lengths, enforce_sorted=False)`: outputs at
   * padded steps are zero, `hN` holds each sequence's state after its own last valid step,
   * and the reverse direction starts from each sequence's last valid step.
   * Batched input only; every length in `[1, L]`.
   */
  lengths?: SequenceLengths;
}


/**
 * Checks optional `lengths` against the input's layout before any work.
 * @returns the lengths `[N]`, or undefined when absent.
 */
export function checkLengths(layout: SequenceLayout, lengths: unknown): Int32Array | undefined {
  if (lengths === undefined || lengths === null) return undefined;
  if (!Array.isArray(lengths) && !(lengths instanceof Int32Array)) {
    throw new ArgumentError('lengths', 'a number[] or Int32Array', describeValue(lengths));
  }
  if (!layout.batched) {
    throw new ShapeError(
      'lengths',
      'no lengths with unbatched 2-D input (PyTorch packs batches only; pass [1, L, H_in] or slice the sequence)',
      `${lengths.length} lengths`,
    );
  }
  if (lengths.length !== layout.batchSize) {
    throw new ShapeError('lengths', `${layout.batchSize} lengths (one per batch element)`, `${lengths.length} lengths`);
  }
  Array.from(lengths).forEach((length, index) => {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > layout.seqLen) {
      throw new ArgumentError(`lengths[${index}]`, `an integer in [1, ${layout.seqLen}] (the sequence length)`, describeValue(length));
    }
  });
  return Int32Array.from(lengths);
}

/**
 * `1` at valid steps and `0` at padded ones: `[N, L]`, or `[L, N]` when `timeMajor`.
 * @param lengths `[N]`, each in `[1, L]`.
 */
export function validStepMask(lengths: Int32Array, seqLen: number, timeMajor: boolean): tf.Tensor2D {
  const batchSize = lengths.length;
  const values = new Float32Array(batchSize * seqLen);
  lengths.forEach((length, b) => {
    for (let t = 0; t < length; t++) values[timeMajor ? t * batchSize + b : b * seqLen + t] = 1;
  });
  return tf.tensor2d(values, timeMajor ? [seqLen, batchSize] : [batchSize, seqLen]);
}

/** Zeroes the padded steps of `[N, L, F]` (`[L, N, F]` when `timeMajor`), as `pad_packed_sequence` does. */
export function zeroPaddedSteps(sequence: tf.Tensor3D, lengths: Int32Array, timeMajor: boolean): tf.Tensor3D {
  const seqLen = sequence.shape[timeMajor ? 0 : 1];
  return tf.mul(sequence, tf.expandDims<tf.Tensor3D>(validStepMask(lengths, seqLen, timeMajor), 2));
}
