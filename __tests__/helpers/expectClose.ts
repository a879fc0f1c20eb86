import * as tf from '@tensorflow/tfjs';
import { Tolerance, compareTensors, describeComparison } from '../../src';

/**
 * The one comparison of every parity test: shape first, then rtol and atol together;
 * a failure names the worst index and both values.
 */
export function expectClose(actual: tf.Tensor, expected: tf.Tensor, tolerance: Tolerance, label: string): void {
  const comparison = compareTensors(actual, expected, tolerance);
  if (!comparison.ok) throw new Error(describeComparison(label, comparison));
}
