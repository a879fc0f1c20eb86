import { shapeSize } from '../formats';

/**
 * An array of `shape` seen around its batch axis as `outer × batch × inner` (C order): for a
 * time-major `[L, N, F]` that is `L × N × F`, for a batch-major `[N, L, F]` `1 × N × L·F`, for
 * `[S, N, H]` states `S × N × H`. Without a batch axis (unbatched input) the array is one row.
 */
export interface BatchGeometry {
  outer: number;
  batch: number;
  inner: number;
}

/** The geometry of `shape` around `batchAxis` (null: no batch axis, one row). */
export function batchGeometry(shape: readonly number[], batchAxis: number | null): BatchGeometry {
  if (batchAxis === null) return { outer: 1, batch: 1, inner: shapeSize(shape) };
  return { outer: shapeSize(shape.slice(0, batchAxis)), batch: shape[batchAxis], inner: shapeSize(shape.slice(batchAxis + 1)) };
}

/** `shape` with its batch axis resized to `rows` (unchanged without a batch axis). */
export function withBatch(shape: readonly number[], batchAxis: number | null, rows: number): number[] {
  return shape.map((dim, axis) => (axis === batchAxis ? rows : dim));
}

/**
 * Visits rows `[start, end)` of an array as contiguous runs: `visit(arrayOffset, blockOffset,
 * length)` in elements, where the block holds just those rows (same shape, batch `end − start`).
 * One run when the batch axis is the first; `outer` strided runs otherwise.
 */
export function forEachRun(
  geometry: BatchGeometry,
  start: number,
  end: number,
  visit: (arrayOffset: number, blockOffset: number, length: number) => void,
): void {
  const { outer, batch, inner } = geometry;
  const rows = end - start;
  for (let o = 0; o < outer; o++) {
    visit((o * batch + start) * inner, o * rows * inner, rows * inner);
  }
}

/** The values of rows `[start, end)` of an array of `shape` along `batchAxis` (null: all of it). */
export function rowsSize(shape: readonly number[], batchAxis: number | null, start: number, end: number): number {
  const { outer, inner } = batchGeometry(shape, batchAxis);
  return outer * (end - start) * inner;
}

/** Copies rows `[start, end)` of `array` (of `geometry`) into `block` (a new one unless given). */
export function sliceRows(array: Float32Array, geometry: BatchGeometry, start: number, end: number, block: Float32Array = new Float32Array(geometry.outer * (end - start) * geometry.inner)): Float32Array {
  forEachRun(geometry, start, end, (from, to, length) => block.set(array.subarray(from, from + length), to));
  return block;
}
