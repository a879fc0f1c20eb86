import { ShapeError } from '../../src/errors';
import { hostArray, shapeSize } from '../../src/formats';

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
