import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, ConfigError, ShapeError, describeValue, formatShape } from '../../errors';

/** `value` as a positive integer, or a `ConfigError` naming `argument`. */
export function checkPositiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(argument, 'a positive integer', describeValue(value));
  }
  return value;
}

/** The cells run no dropout inside the step: `dropout` and `recurrentDropout` must be absent or 0. */
export function refuseDropout(cellName: string, args: { dropout?: number; recurrentDropout?: number }): void {
  for (const argument of ['dropout', 'recurrentDropout'] as const) {
    const value = args[argument];
    if (value !== undefined && value !== null && value !== 0) {
      throw new ConfigError(argument, `0 (${cellName} has no dropout inside the step)`, describeValue(value));
    }
  }
}

/** The feature size of a step input shape `[batch, features]` (or the first of several shapes). */
export function stepInputSize(cellName: string, inputShape: tfl.Shape | tfl.Shape[]): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  const size = shape[shape.length - 1];
  if (shape.length !== 2 || size === null || size <= 0) {
    throw new ShapeError(`${cellName} input`, '[batch, features] with a known features ≥ 1', formatShape(shape.map(String)));
  }
  return size;
}

/** A cell call's inputs `[x_t, ...states]`, `count` tensors in all. */
export function stepTensors(cellName: string, inputs: tf.Tensor | tf.Tensor[], count: number): tf.Tensor2D[] {
  if (!Array.isArray(inputs) || inputs.length !== count) {
    const actual = Array.isArray(inputs) ? `${inputs.length} tensors` : 'one tensor';
    throw new ArgumentError(`${cellName} inputs`, `${count} tensors [x_t, ...states]`, actual);
  }
  return inputs as tf.Tensor2D[];
}
