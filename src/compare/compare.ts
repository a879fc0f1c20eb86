import * as tf from '@tensorflow/tfjs-core';
import { checkSyncReads } from '../backend/capabilities';
import { formatShape } from '../errors';
import { Tolerance } from './tolerance';

/** A flat float array and its shape, C order. */
export interface NumericArray {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** How two arrays differ. */
export interface Comparison {
  /** Same shape, and every element within tolerance (NaN never is). */
  ok: boolean;
  /** Set when the shapes differ; nothing else is compared then. */
  shapeMismatch?: string;
  maxAbsDiff: number;
  /** Max of `|a − e| / |e|` over elements with `e ≠ 0`. */
  maxRelDiff: number;
  /** Index of the element furthest outside (or least inside) tolerance, and its two values. */
  worstIndex: number[];
  actual: number;
  expected: number;
  tolerance: Tolerance;
}

function unravel(flatIndex: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  let rest = flatIndex;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index[axis] = rest % shape[axis];
    rest = Math.floor(rest / shape[axis]);
  }
  return index;
}

/** Compares shape first, then every element with rtol and atol together. */
export function compareArrays(actual: NumericArray, expected: NumericArray, tolerance: Tolerance): Comparison {
  const empty = { maxAbsDiff: NaN, maxRelDiff: NaN, worstIndex: [], actual: NaN, expected: NaN, tolerance };
  if (!tf.util.arraysEqual(actual.shape as number[], expected.shape as number[])) {
    const shapeMismatch = `shape: expected ${formatShape(expected.shape)}, got ${formatShape(actual.shape)}`;
    return { ok: false, shapeMismatch, ...empty };
  }
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let worst = 0;
  let worstRatio = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    const diff = a === e ? 0 : Math.abs(a - e); // equal infinities match, as in assert_close
    const allowed = tolerance.atol + tolerance.rtol * Math.abs(e);
    const ratio = diff === 0 ? 0 : Number.isFinite(diff) && Number.isFinite(allowed) ? diff / allowed : Infinity;
    maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(diff) ? Infinity : diff);
    if (e !== 0) maxRelDiff = Math.max(maxRelDiff, diff / Math.abs(e));
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  return {
    ok: worstRatio <= 1,
    maxAbsDiff,
    maxRelDiff,
    worstIndex: expected.data.length === 0 ? [] : unravel(worst, expected.shape),
    actual: actual.data[worst],
    expected: expected.data[worst],
    tolerance,
  };
}

/** `compareArrays` on two tensors (reads them; creates no tensor). */
export function compareTensors(actual: tf.Tensor, expected: tf.Tensor, tolerance: Tolerance): Comparison {
  checkSyncReads('compareTensors');
  return compareArrays(
    { shape: actual.shape, data: actual.dataSync() },
    { shape: expected.shape, data: expected.dataSync() },
    tolerance,
  );
}

/** One line: `output: max |diff| 2.4e-7, max rel 1.1e-6, worst at [1, 4, 2]: 0.5773 vs 0.5773 (rtol 1.3e-6, atol 1e-5)`. */
export function describeComparison(name: string, comparison: Comparison): string {
  if (comparison.shapeMismatch !== undefined) return `${name}: ${comparison.shapeMismatch}`;
  const { maxAbsDiff, maxRelDiff, worstIndex, actual, expected, tolerance } = comparison;
  return (
    `${name}: max |diff| ${maxAbsDiff.toExponential(2)}, max rel ${maxRelDiff.toExponential(2)}, ` +
    `worst at ${formatShape(worstIndex)}: ${actual} vs ${expected} ` +
    `(rtol ${tolerance.rtol}, atol ${tolerance.atol})`
  );
}
