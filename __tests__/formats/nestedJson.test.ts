import { FormatError } from '../../src/errors';
import { hostArray, stateDictJsonPieces } from '../../src/formats';
import { NESTED_JSON_PIECE_VALUES, nestedJsonPieces } from '../../src/formats/nestedJson';
import { shapeSize } from '../../src/formats/hostArray';

/**
 * JSON nested lists written a piece at a time: the pieces joined are the bytes of
 * `JSON.stringify` of the nested lists, whatever the shape, and no piece holds more than
 * `NESTED_JSON_PIECE_VALUES` values.
 */

/** `data[offset..]` of `shape` as nested lists, as `ndarray.tolist()` gives it. */
function toNested(data: Float32Array, shape: readonly number[], offset = 0): unknown {
  if (shape.length === 0) return data[offset];
  const [length, ...inner] = shape;
  const stride = shapeSize(inner);
  return Array.from({ length }, (_, i) => toNested(data, inner, offset + i * stride));
}

/** Values with fractions, negatives, tiny and large magnitudes, and -0. */
function valuesOf(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => (i % 7 === 3 ? -0 : Math.fround(Math.sin(i) * 10 ** ((i % 11) - 5))));
}

const noNonFinite = () => new Error('no NaN expected');

describe('nestedJsonPieces', () => {
  it.each<[string, number[]]>([
    ['a scalar', []],
    ['a vector', [5]],
    ['a matrix', [3, 4]],
    ['rank 3', [2, 3, 4]],
    ['rank 4 with ones', [1, 2, 1, 3]],
    ['an empty vector', [0]],
    ['an empty inner axis', [2, 0, 3]],
    ['an empty last axis', [3, 0]],
    ['more values than one piece', [3, NESTED_JSON_PIECE_VALUES - 5]],
  ])('%s %p: the bytes of JSON.stringify', (_, shape) => {
    const data = valuesOf(shapeSize(shape));
    const pieces = [...nestedJsonPieces(shape, (offset, count) => data.subarray(offset, offset + count), noNonFinite)];
    expect(pieces.join('')).toBe(JSON.stringify(toNested(data, shape)));
    expect(pieces.length).toBe(Math.max(1, Math.ceil(data.length / NESTED_JSON_PIECE_VALUES)));
  });

  it('asks for each value once, in order, a piece at a time', () => {
    const data = valuesOf(2 * NESTED_JSON_PIECE_VALUES + 3);
    const reads: number[][] = [];
    const pieces = nestedJsonPieces([data.length], (offset, count) => (reads.push([offset, count]), data.subarray(offset, offset + count)), noNonFinite);
    expect(pieces.next().done).toBe(false);
    expect(reads).toEqual([[0, NESTED_JSON_PIECE_VALUES]]);
    [...pieces];
    expect(reads).toEqual([[0, NESTED_JSON_PIECE_VALUES], [NESTED_JSON_PIECE_VALUES, NESTED_JSON_PIECE_VALUES], [2 * NESTED_JSON_PIECE_VALUES, 3]]);
  });

  it.each([NaN, Infinity, -Infinity])('throws the error of the first %p with its flat index', (bad) => {
    const data = valuesOf(12);
    data[7] = bad;
    data[9] = NaN;
    const pieces = nestedJsonPieces([3, 4], (offset, count) => data.subarray(offset, offset + count), (index, value) => new FormatError('x', 'finite', `${value} at ${index}`));
    expect(() => [...pieces]).toThrow(`x: expected finite, got ${bad} at 7`);
  });
});

describe('stateDictJsonPieces', () => {
  const tensors = { weight_ih_l0: hostArray([2, 3], valuesOf(6)), bias_ih_l0: hostArray([2], Float32Array.of(1e-30, -7)) };

  it('gives the bytes of JSON.stringify of the state dict, __metadata__ first when given', () => {
    const nested = { weight_ih_l0: toNested(tensors.weight_ih_l0.data, [2, 3]), bias_ih_l0: toNested(tensors.bias_ih_l0.data, [2]) };
    expect([...stateDictJsonPieces(tensors)].join('')).toBe(JSON.stringify(nested));
    const metadata = { format: 'pt', 'nn.RNN': '{"input_size": 3}' };
    expect([...stateDictJsonPieces(tensors, metadata)].join('')).toBe(JSON.stringify({ __metadata__: metadata, ...nested }));
    expect([...stateDictJsonPieces({}, metadata)].join('')).toBe(JSON.stringify({ __metadata__: metadata }));
    expect([...stateDictJsonPieces({})].join('')).toBe('{}');
  });

  it('checks every tensor before the first piece', () => {
    const bad = { ...tensors, bias_hh_l0: hostArray([2], Float32Array.of(0, NaN)) };
    expect(() => stateDictJsonPieces(bad).next()).toThrow('bias_hh_l0[1]: expected finite values (JSON has no NaN or Infinity), got NaN');
  });
});
