import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig } from '../config';
import { ArgumentError, DtypeError, ShapeError, describeValue, formatShape } from '../errors';

/**
 * What a forward call's input means once checked. Symbols as in PyTorch's docs:
 * N batch, L sequence length, D directions.
 */
export interface SequenceLayout {
  /** False for 2-D input `[L, H_in]`, which runs as a batch of one. */
  batched: boolean;
  batchSize: number;
  seqLen: number;
}

/** Checks that `value` is a live float32 `tf.Tensor`; errors name it `name`. */
export function checkTensor(name: string, value: unknown): tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    const hint = Array.isArray(value) || ArrayBuffer.isView(value) ? ' (wrap it with tf.tensor(data, shape))' : '';
    throw new ArgumentError(name, 'a tf.Tensor', `${describeValue(value)}${hint}`);
  }
  if (value.isDisposed) throw new ArgumentError(name, 'a live tf.Tensor', describeValue(value));
  if (value.dtype !== 'float32') throw new DtypeError(name, 'float32', value.dtype);
  return value;
}

function inputPattern(config: FullRNNConfig, batched: boolean): string {
  if (!batched) return `[seq, ${config.inputSize}] (unbatched)`;
  return config.batchFirst
    ? `[batch, seq, ${config.inputSize}] (batchFirst)`
    : `[seq, batch, ${config.inputSize}]`;
}

/** Checks `input` (`[N, L, H_in]` batchFirst, `[L, N, H_in]`, or unbatched `[L, H_in]`) before any work. */
export function checkInput(config: FullRNNConfig, input: unknown): SequenceLayout {
  const tensor = checkTensor('input', input);
  const { shape } = tensor;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new ShapeError(
      'input',
      `a 3-D ${inputPattern(config, true)} or 2-D ${inputPattern(config, false)} tensor`,
      `${shape.length}-D ${formatShape(shape)}`,
    );
  }
  const batched = shape.length === 3;
  const seqLen = batched && config.batchFirst ? shape[1] : shape[0];
  const batchSize = !batched ? 1 : config.batchFirst ? shape[0] : shape[1];
  if (shape[shape.length - 1] !== config.inputSize || seqLen === 0 || batchSize === 0) {
    throw new ShapeError('input', `${inputPattern(config, batched)} with seq, batch ≥ 1`, formatShape(shape));
  }
  return { batched, batchSize, seqLen };
}

/** The input as `[L, N, H_in]`, whatever layout the caller used. */
export function toTimeMajor(config: FullRNNConfig, layout: SequenceLayout, input: tf.Tensor): tf.Tensor3D {
  if (!layout.batched) return tf.expandDims<tf.Tensor3D>(input, 1);
  return config.batchFirst ? tf.transpose(input as tf.Tensor3D, [1, 0, 2]) : (input as tf.Tensor3D);
}

/** The input as `[N, L, H_in]`, whatever layout the caller used. */
export function toBatchMajor(config: FullRNNConfig, layout: SequenceLayout, input: tf.Tensor): tf.Tensor3D {
  if (!layout.batched) return tf.expandDims<tf.Tensor3D>(input, 0);
  return config.batchFirst ? (input as tf.Tensor3D) : tf.transpose(input as tf.Tensor3D, [1, 0, 2]);
}

/** A `[L, N, F]` output in the caller's layout. */
export function fromTimeMajor(config: FullRNNConfig, layout: SequenceLayout, output: tf.Tensor3D): tf.Tensor {
  if (!layout.batched) return tf.squeeze(output, [1]);
  return config.batchFirst ? tf.transpose(output, [1, 0, 2]) : output;
}

/** A `[N, L, F]` output in the caller's layout. */
export function fromBatchMajor(config: FullRNNConfig, layout: SequenceLayout, output: tf.Tensor3D): tf.Tensor {
  if (!layout.batched) return tf.squeeze(output, [0]);
  return config.batchFirst ? output : tf.transpose(output, [1, 0, 2]);
}
