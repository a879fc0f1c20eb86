import { ShapeError } from '../../src/errors';
import { firstNonFinite, hostArray, shapeSize } from '../../src/formats';

describe('shapeSize', () => {
  it('multiplies the dimensions; a scalar [] holds one value', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([5, 0])).toBe(0);
  });
});

describe('hostArray', () => {
  it('keeps a shape and data that agree', () => {
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect(hostArray([2, 3], data)).toEqual({ shape: [2, 3], data });
    expect(hostArray([], Float32Array.of(7)).shape).toEqual([]);
  });

  it('rejects data of the wrong length with a ShapeError naming the argument', () => {
    const call = () => hostArray([2, 3], new Float32Array(5), 'weight_ih_l0');
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/^weight_ih_l0: expected 6 values for shape \[2, 3\], got 5$/);
  });

  it('rejects dimensions that are not non-negative integers', () => {
    expect(() => hostArray([2, -1], new Float32Array(0))).toThrow(/^data: expected a shape of non-negative integers, got \[2, -1\]$/);
    expect(() => hostArray([1.5], new Float32Array(1))).toThrow(ShapeError);
  });
});

describe('firstNonFinite', () => {
  test.each([
    ['all finite, with ±0 and the extremes', [0, -0, 1, -3.4028234663852886e38, 3.4028234663852886e38, 1e-45], -1],
    ['NaN', [1, 2, NaN, Infinity], 2],
    ['+Infinity', [Infinity, NaN], 0],
    ['−Infinity last', [1, 2, 3, -Infinity], 3],
    ['empty', [], -1],
    ['+Infinity and −Infinity in one block of eight', [0, 1, 2, 3, 4, 5, 6, 7, 8, Infinity, 1, -Infinity], 9],
    ['the largest floats summed in one block stay finite', Array(16).fill(3.4028234663852886e38), -1],
    ['NaN in the tail after whole blocks', [...Array(16).fill(1), 2, NaN], 17],
  ])('%s', (_, values, expected) => {
    expect(firstNonFinite(Float32Array.from(values))).toBe(expected);
  });
});
