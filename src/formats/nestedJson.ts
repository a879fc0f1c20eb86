import { shapeSize } from './hostArray';

/**
 * An array as JSON nested lists (`ndarray.tolist()`, `Tensor.tolist()`), produced a piece at a
 * time, so that an array of any size is written in bounded memory: the pieces joined are the
 * bytes of `JSON.stringify` of the nested lists.
 */

/** Values per piece: about 1 MiB of text. */
export const NESTED_JSON_PIECE_VALUES = 65536;

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
  for (let offset = 0; offset < size; offset += NESTED_JSON_PIECE_VALUES) {
    const values = read(offset, Math.min(NESTED_JSON_PIECE_VALUES, size - offset));
    const parts: string[] = [];
    values.forEach((value, i) => {
      const k = offset + i;
      if (!Number.isFinite(value)) throw nonFinite(k, value);
      let text = k > 0 ? ',' : '';
      for (const span of spans) if (k % span === 0) text += '[';
      text += String(value);
      for (const span of spans) if ((k + 1) % span === 0) text += ']';
      parts.push(text);
    });
    yield parts.join('');
  }
}
