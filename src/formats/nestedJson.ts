import { firstNonFinite, shapeSize } from './hostArray';

/**
 * An array as JSON nested lists (`ndarray.tolist()`, `Tensor.tolist()`), produced a piece at a
 * time, so that an array of any size is written in bounded memory: the pieces joined are the
 * bytes of `JSON.stringify` of the nested lists.
 */

/** Values per piece: about 1 MiB of text. */
export const NESTED_JSON_PIECE_VALUES = 65536;

/** Runs of at least this many values are written by one `JSON.stringify` (faster than a `String` each, but for a few). */
const STRINGIFY_MIN_RUN = 8;

/** The JSON of nested lists of `shape` holding no value (an axis of length 0), as `JSON.stringify` writes it. */
function emptyNested(shape: readonly number[]): string {
  const [length, ...inner] = shape;
  return length === 0 ? '[]' : `[${Array.from({ length }, () => emptyNested(inner)).join(',')}]`;
}

/**
 * The JSON text of an array of `shape` (a number for `[]`), in pieces. `read(offset, count)`
 * gives `count` values from element `offset` in C order; `nonFinite(index, value)` is the error
 * thrown at the first NaN or ±Infinity, which JSON cannot hold.
 */
export function* nestedJsonPieces(
  shape: readonly number[],
  read: (offset: number, count: number) => Float32Array,
  nonFinite: (index: number, value: number) => Error,
): Generator<string> {
  const size = shapeSize(shape);
  if (size === 0) {
    yield emptyNested(shape);
    return;
  }
  // spans[a]: the values under one index of axis a − 1, so that element k opens a list of axis a when k % spans[a] is 0.
  const spans = shape.map((_, axis) => shapeSize(shape.slice(axis)));
  const rowLength = shape.length === 0 ? 1 : shape[shape.length - 1];
  for (let offset = 0; offset < size; offset += NESTED_JSON_PIECE_VALUES) {
    const values = read(offset, Math.min(NESTED_JSON_PIECE_VALUES, size - offset));
    const bad = firstNonFinite(values);
    if (bad >= 0) throw nonFinite(offset + bad, values[bad]);
    const parts: string[] = [];
    // Each run of values within one innermost list: its numbers as JSON.stringify writes them, the brackets around.
    for (let start = 0; start < values.length; ) {
      const first = offset + start;
      const end = Math.min(values.length, start + rowLength - (first % rowLength));
      const after = offset + end;
      let text = first > 0 ? ',' : '';
      for (const span of spans) if (first % span === 0) text += '[';
      const run = values.subarray(start, end);
      text += run.length < STRINGIFY_MIN_RUN ? Array.from(run, String).join(',') : JSON.stringify(Array.from(run)).slice(1, -1);
      for (const span of spans) if (after % span === 0) text += ']';
      parts.push(text);
      start = end;
    }
    yield parts.join('');
  }
}
