import { compareArrays, describeComparison } from '../../src';

const tolerance = { rtol: 1e-3, atol: 1e-6 };
const array = (shape: number[], data: number[]) => ({ shape, data });

describe('compareArrays', () => {
  test('within rtol·|expected| + atol passes', () => {
    const comparison = compareArrays(array([2], [1.0009, 0]), array([2], [1, 5e-7]), tolerance);
    expect(comparison.ok).toBe(true);
  });

  test('outside fails and names the worst index and both values', () => {
    const comparison = compareArrays(array([2, 2], [0, 1, 2, 3.01]), array([2, 2], [0, 1, 2, 3]), tolerance);
    expect(comparison.ok).toBe(false);
    expect(comparison.worstIndex).toEqual([1, 1]);
    expect(comparison.actual).toBe(3.01);
    expect(comparison.expected).toBe(3);
    expect(describeComparison('output', comparison)).toMatch(
      /^output: max \|diff\| 1\.00e-2, max rel 3\.33e-3, worst at \[1, 1\]: 3\.01 vs 3 \(rtol 0\.001, atol 0\.000001\)$/,
    );
  });

  test('rtol and atol apply together: atol alone covers values near zero', () => {
    expect(compareArrays(array([1], [1e-6]), array([1], [0]), tolerance).ok).toBe(true);
    expect(compareArrays(array([1], [2e-6]), array([1], [0]), tolerance).ok).toBe(false);
  });

  test('shape is compared first', () => {
    const comparison = compareArrays(array([2, 3], [0, 0, 0, 0, 0, 0]), array([3, 2], [0, 0, 0, 0, 0, 0]), tolerance);
    expect(comparison.ok).toBe(false);
    expect(describeComparison('h_n', comparison)).toBe('h_n: shape: expected [3, 2], got [2, 3]');
  });

  test('equal infinities match; unequal ones do not', () => {
    expect(compareArrays(array([2], [Infinity, -Infinity]), array([2], [Infinity, -Infinity]), tolerance).ok).toBe(true);
    expect(compareArrays(array([1], [Infinity]), array([1], [-Infinity]), tolerance).ok).toBe(false);
    expect(compareArrays(array([1], [3e38]), array([1], [Infinity]), tolerance).ok).toBe(false);
  });

  test('NaN never matches', () => {
    expect(compareArrays(array([1], [NaN]), array([1], [NaN]), tolerance).ok).toBe(false);
    expect(compareArrays(array([1], [NaN]), array([1], [1]), tolerance).ok).toBe(false);
  });
});
