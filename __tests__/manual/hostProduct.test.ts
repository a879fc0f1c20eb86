import { compileKernels, kernelsWasmSource } from '../../scripts/compile_kernels';
import { HostProduct, LoopProduct, ProductWeights, WasmProduct, createHostProduct } from '../../src/manual/engines/host/product';
import { KERNELS_WASM } from '../../src/manual/engines/host/kernelsWasm';
import * as fs from 'fs';
import * as path from 'path';
import { sameBits, seededFloats } from '../helpers/floats';

function weightsOf(rows: number, columns: number, seed: number, withBias = true): ProductWeights {
  return { weightsT: seededFloats(rows * columns, seed), rows, columns, bias: withBias ? seededFloats(rows, seed + 1) : undefined };
}

/**
 * `bias + x Wᵀ` summed in the order of k, each product and sum rounded to float32: the bits
 * the products promise, written apart from `LoopProduct` (k outermost, running sums of a row
 * held in a Float32Array, which rounds each product and each sum as it is stored). With
 * `initial` `[count, rows]`, its rows stand in for the bias.
 */
function float32Reference({ weightsT, rows, columns, bias }: ProductWeights, x: Float32Array, xOffset: number, count: number, initial?: Float32Array): Float32Array {
  const sums = new Float32Array(count * rows);
  const product = new Float32Array(1);
  for (let r = 0; r < count; r++) {
    const row = sums.subarray(r * rows, (r + 1) * rows);
    if (initial) row.set(initial.subarray(r * rows, (r + 1) * rows));
    else if (bias) row.set(bias.subarray(0, rows));
    for (let k = 0; k < columns; k++) {
      for (let j = 0; j < rows; j++) {
        product[0] = x[xOffset + r * columns + k] * weightsT[k * rows + j];
        row[j] += product[0];
      }
    }
  }
  return sums;
}

// Widths around the kernel's blocks of 16, 8 and 4 sums (and primes, so no block divides
// them); counts around its blocks of 4 rows of x.
const SHAPES: Array<[rows: number, columns: number, count: number]> = [
  [1, 1, 1],
  [3, 7, 2],
  [4, 4, 1],
  [7, 5, 3],
  [15, 2, 1],
  [16, 16, 2],
  [17, 9, 4],
  [20, 1, 3],
  [33, 31, 2],
  [96, 16, 5],
  [131, 70, 3],
  [512, 128, 2],
  [8, 5, 4],
  [12, 3, 7],
  [13, 6, 8],
  [40, 17, 9],
  [45, 10, 11],
  [1, 3, 6],
  [128, 32, 64],
];

describe('the committed kernel', () => {
  test('kernelsWasm.ts holds the bytes kernels.wat compiles to (npm run kernels)', async () => {
    const bytes = await compileKernels();
    expect(Array.from(KERNELS_WASM)).toEqual(Array.from(bytes));
    const committed = fs.readFileSync(path.join(__dirname, '../../src/manual/engines/host/kernelsWasm.ts'), 'utf8');
    expect(committed).toBe(kernelsWasmSource(bytes));
  });

  test('this runtime runs it: createHostProduct is the SIMD kernel here', () => {
    expect(createHostProduct(weightsOf(4, 4, 1))).toBeInstanceOf(WasmProduct);
  });
});

describe.each([
  ['SIMD kernel', (weights: ProductWeights): HostProduct => createHostProduct(weights)],
  ['plain loop', (weights: ProductWeights): HostProduct => new LoopProduct(weights)],
])('%s', (_, build) => {
  // Sums worked by hand, where another order of k, a wider accumulator or a fused
  // multiply-add would give other numbers.
  test('sums in the order of k, rounding each sum: 0 + 2²⁴ + 1 − 2²⁴ is 0, not 1', () => {
    const product = build({ weightsT: Float32Array.of(2 ** 24, 1, -(2 ** 24)), rows: 1, columns: 3 });
    expect(Array.from(product.multiply(Float32Array.of(1, 1, 1), 0, 1))).toEqual([0]);
    const reversed = build({ weightsT: Float32Array.of(-(2 ** 24), 1, 2 ** 24), rows: 1, columns: 3 });
    expect(Array.from(reversed.multiply(Float32Array.of(1, 1, 1), 0, 1))).toEqual([1]);
  });

  test('rounds each product before adding it (no fused multiply-add)', () => {
    // (1 + 2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ rounds to 1 + 2⁻¹¹ (a tie, to even); minus that it is 0,
    // where a fused multiply-add would keep 2⁻²⁴.
    const a = 1 + 2 ** -12;
    const product = build({ weightsT: Float32Array.of(a), rows: 1, columns: 1, bias: Float32Array.of(-(1 + 2 ** -11)) });
    expect(Array.from(product.multiply(Float32Array.of(a), 0, 1))).toEqual([0]);
  });

  test.each(SHAPES)('W [%i, %i], %i rows of x: the float32 sums in the order of k, bit for bit', (rows, columns, count) => {
    const weights = weightsOf(rows, columns, rows * 1000 + columns);
    const x = seededFloats(3 + count * columns, count);
    const product = build(weights);
    expect(sameBits(product.multiply(x, 3, count), float32Reference(weights, x, 3, count))).toBe(true);
  });

  test.each(SHAPES)('W [%i, %i], %i rows: within float32 rounding of the exact sums', (rows, columns, count) => {
    const weights = weightsOf(rows, columns, rows + columns);
    const x = seededFloats(count * columns, 7);
    const sums = build(weights).multiply(x, 0, count);
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < rows; j++) {
        let exact = weights.bias![j];
        let magnitude = Math.abs(exact);
        for (let k = 0; k < columns; k++) {
          const term = x[r * columns + k] * weights.weightsT[k * rows + j];
          exact += term;
          magnitude += Math.abs(term);
        }
        // Each of the 2·columns roundings is within half an ulp of a partial sum no larger than `magnitude`.
        expect(Math.abs(sums[r * rows + j] - exact)).toBeLessThanOrEqual(2 * columns * 2 ** -24 * magnitude);
      }
    }
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('%i rows with initial sums of their own in place of the bias: the float32 sums, bit for bit', (count) => {
    // 13 sums a row: one block of 8, one of 4 and one alone in a block of rows.
    const weights = weightsOf(13, 7, 31);
    const x = seededFloats(2 + count * 7, 32);
    const initial = seededFloats(5 + count * 13, 33);
    const sums = build(weights).multiply(x, 2, count, initial, 5);
    expect(sameBits(sums, float32Reference(weights, x, 2, count, initial.subarray(5)))).toBe(true);
  });

  test('a row gets the same bits alone and in a batch', () => {
    const weights = weightsOf(33, 31, 5);
    const x = seededFloats(6 * 31, 9);
    const product = build(weights);
    const batch = product.multiply(x, 0, 6).slice();
    for (let r = 0; r < 6; r++) expect(sameBits(product.multiply(x, r * 31, 1), batch.subarray(r * 33, (r + 1) * 33))).toBe(true);
  });

  test('without a bias the sums start at zero; the weights survive the buffers growing', () => {
    const weights = weightsOf(17, 9, 3, false);
    const product = build(weights);
    const small = seededFloats(9, 4);
    const first = product.multiply(small, 0, 1).slice();
    const large = seededFloats(5000 * 9, 5);
    expect(sameBits(product.multiply(large, 0, 5000), float32Reference(weights, large, 0, 5000))).toBe(true);
    expect(sameBits(product.multiply(small, 0, 1), first)).toBe(true);
    expect(sameBits(first, float32Reference(weights, small, 0, 1))).toBe(true);
  });
});

test('a released product hands its buffers to the next one, which computes with its own weights and bias', () => {
  const first = weightsOf(131, 70, 11);
  const firstProduct = createHostProduct(first);
  const large = seededFloats(300 * 70, 12);
  firstProduct.multiply(large, 0, 300);
  firstProduct.release();
  firstProduct.release();
  // Smaller, without a bias: nothing of the first product's weights, bias or sums may show.
  const [second, third] = [weightsOf(17, 9, 13, false), weightsOf(5, 3, 14)];
  const [secondProduct, thirdProduct] = [createHostProduct(second), createHostProduct(third)];
  const x = seededFloats(4 * 9, 15);
  expect(sameBits(secondProduct.multiply(x, 0, 4), float32Reference(second, x, 0, 4))).toBe(true);
  expect(sameBits(thirdProduct.multiply(x, 0, 2), float32Reference(third, x, 0, 2))).toBe(true);
  expect(sameBits(secondProduct.multiply(x, 0, 4), float32Reference(second, x, 0, 4))).toBe(true);
});

describe.each([
  ['SIMD kernel', (weights: ProductWeights): HostProduct => createHostProduct(weights)],
  ['plain loop', (weights: ProductWeights): HostProduct => new LoopProduct(weights)],
])('%s: activations', (_, build) => {
  /** σ and tanh at their interesting points and over a grid through every range they treat apart. */
  const arguments_ = Float32Array.from([
    NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1e-8, -1e-8, 0.6249999, 0.625, -0.625, 9, 9.1, 20, -20, 86.9, 87, 87.1, -87.1, 88, 88.1, -88.1, 100, -100,
    ...Array.from({ length: 4001 }, (_, i) => (i - 2000) / 100),
    ...Array.from({ length: 2001 }, (_, i) => (i - 1000) / 1000),
  ]);
  const exact = { sigmoid: (x: number) => 1 / (1 + Math.exp(-x)), tanh: Math.tanh };

  test.each(['sigmoid', 'tanh'] as const)('%s within two float32 ulps (or 1e-38 below the normal range); NaN stays NaN', (activation) => {
    const count = arguments_.length;
    // One column of weights 0: the sums are the initial values, in place of a bias per row.
    const product = build({ weightsT: new Float32Array(count), rows: count, columns: 1 });
    const values = product.multiply(new Float32Array(1), 0, 1, arguments_, 0);
    product.activate([activation], 0, count);
    arguments_.forEach((x, i) => {
      const expected = exact[activation](x);
      if (Number.isNaN(x)) return expect(values[i]).toBeNaN();
      const ulp = Math.abs(Math.fround(expected)) * 2 ** -23;
      expect(Math.abs(values[i] - expected)).toBeLessThanOrEqual(Math.max(2 * ulp, 1e-38));
    });
  });

  test('one call activates several blocks, each with its own activation', () => {
    const rows = 17;
    const initial = seededFloats(2 * rows, 22).map((value) => value * 3);
    const product = build({ weightsT: new Float32Array(rows), rows, columns: 1 });
    const values = product.multiply(new Float32Array(2), 0, 2, initial, 0);
    product.activate(['sigmoid', 'tanh', 'sigmoid'], 1, 5);
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < rows; j++) {
        const before = initial[r * rows + j];
        const block = Math.floor((j - 1) / 5);
        const expected = j < 1 || j >= 16 ? before : block === 1 ? Math.tanh(before) : exact.sigmoid(before);
        expect(Math.abs(values[r * rows + j] - expected)).toBeLessThanOrEqual(2 ** -22);
      }
    }
  });

  test('only the named columns of every row change, in each of several rows', () => {
    const rows = 11;
    const initial = seededFloats(3 * rows, 21).map((value) => value * 4);
    const product = build({ weightsT: new Float32Array(rows), rows, columns: 1 });
    const values = product.multiply(new Float32Array(3), 0, 3, initial, 0);
    product.activate(['tanh'], 2, 7);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < rows; j++) {
        const before = initial[r * rows + j];
        if (j < 2 || j >= 9) expect(values[r * rows + j]).toBe(before);
        else expect(Math.abs(values[r * rows + j] - Math.tanh(before))).toBeLessThanOrEqual(2 ** -22);
      }
    }
  });
});

test('the SIMD kernel and the plain loop give the same bits for σ and tanh, in full vectors and in the last lanes', () => {
  const count = 40003;
  const initial = Float32Array.from({ length: count }, (_, i) => Math.fround(Math.sinh((i - count / 2) / 2000) * (i % 3 === 0 ? 1e-3 : 1)));
  for (const activation of ['sigmoid', 'tanh'] as const) {
    const [kernel, loop] = [createHostProduct, (weights: ProductWeights) => new LoopProduct(weights)].map((build) => {
      const product = build({ weightsT: new Float32Array(count), rows: count, columns: 1 });
      const values = product.multiply(new Float32Array(1), 0, 1, initial, 0);
      product.activate([activation], 0, count);
      return values.slice();
    });
    expect(sameBits(kernel, loop)).toBe(true);
  }
});

test('where WebAssembly is missing, createHostProduct falls back to the plain loop', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
  try {
    Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const isolated = require('../../src/manual/engines/host/product') as typeof import('../../src/manual/engines/host/product');
      expect(isolated.createHostProduct(weightsOf(4, 4, 1))).toBeInstanceOf(isolated.LoopProduct);
    });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
});
