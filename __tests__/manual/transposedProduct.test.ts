import * as tf from '@tensorflow/tfjs';
import { GRADIENT_TOLERANCE, compareArrays } from '../../src';
import { PRODUCT_BLOCK_ROWS, transposedMatMul } from '../../src/manual/transposedMatMul';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';

/** `aᵀ·b` in float64 on the host, for `a` `[R, P]` and `b` `[R, Q]`. */
function referenceProduct(a: Float32Array, b: Float32Array, rows: number, p: number, q: number): Float64Array {
  const product = new Float64Array(p * q);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < q; j++) product[i * q + j] += a[r * p + i] * b[r * q + j];
    }
  }
  return product;
}

describeEachBackend(() => {
  // One row, a block short of full, one full block, one row into the next, several blocks.
  test.each([1, PRODUCT_BLOCK_ROWS - 1, PRODUCT_BLOCK_ROWS, PRODUCT_BLOCK_ROWS + 1, 5 * PRODUCT_BLOCK_ROWS + 7])(
    '%i rows: aᵀ·b as a float64 sum gives it',
    (rows) => {
      const a = tf.randomNormal([rows, 3], 0, 1, 'float32', rows) as tf.Tensor2D;
      const b = tf.randomNormal([rows, 5], 0, 1, 'float32', rows + 1) as tf.Tensor2D;
      const product = transposedMatMul(a, b);
      expect(product.shape).toEqual([3, 5]);
      const expected = referenceProduct(a.dataSync() as Float32Array, b.dataSync() as Float32Array, rows, 3, 5);
      const comparison = compareArrays({ shape: [3, 5], data: product.dataSync() }, { shape: [3, 5], data: expected }, GRADIENT_TOLERANCE);
      expect(comparison.ok).toBe(true);
      tf.dispose([a, b, product]);
    },
  );

  test('leaves no tensor behind', () => {
    const a = tf.randomNormal([700, 4]) as tf.Tensor2D;
    const b = tf.randomNormal([700, 2]) as tf.Tensor2D;
    expectNoLeak(() => tf.tidy(() => void transposedMatMul(a, b)));
    tf.dispose([a, b]);
  });
});
