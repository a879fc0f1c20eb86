import { compileProductKernel, productWasmSource } from '../../scripts/compile_kernel';
import { HostProduct, LoopProduct, ProductWeights, WasmProduct, hostProduct } from '../../src/manual/simd/hostProduct';
import { PRODUCT_WASM } from '../../src/manual/simd/productWasm';
import * as fs from 'fs';
import * as path from 'path';

/** Uniform floats in [−2, 2), float32, from a fixed seed (mulberry32). */
function randomFloats(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return Math.fround((((z ^ (z >>> 14)) >>> 0) / 2 ** 32) * 4 - 2);
  });
}

function weightsOf(rows: number, columns: number, seed: number, withBias = true): ProductWeights {
  return { weightsT: randomFloats(rows * columns, seed), rows, columns, bias: withBias ? randomFloats(rows, seed + 1) : undefined };
}

/** `bias + x Wᵀ` summed in the order of k, each product and sum rounded to float32: the bits the products promise. */
function float32Reference({ weightsT, rows, columns, bias }: ProductWeights, x: Float32Array, xOffset: number, count: number): Float32Array {
  const sums = new Float32Array(count * rows);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < rows; j++) {
      let sum = bias ? bias[j] : 0;
      for (let k = 0; k < columns; k++) sum = Math.fround(sum + Math.fround(x[xOffset + r * columns + k] * weightsT[k * rows + j]));
      sums[r * rows + j] = sum;
    }
  }
  return sums;
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((value, i) => Object.is(value, b[i]));

// Widths around the kernel's blocks of 16 and 4 sums (and primes, so no block divides them).
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
];

describe('the committed kernel', () => {
  test('productWasm.ts holds the bytes product.wat compiles to (npm run kernel)', async () => {
    const bytes = await compileProductKernel();
    expect(Array.from(PRODUCT_WASM)).toEqual(Array.from(bytes));
    const committed = fs.readFileSync(path.join(__dirname, '../../src/manual/simd/productWasm.ts'), 'utf8');
    expect(committed).toBe(productWasmSource(bytes));
  });

  test('this runtime runs it: hostProduct is the SIMD kernel here', () => {
    expect(hostProduct(weightsOf(4, 4, 1))).toBeInstanceOf(WasmProduct);
  });
});

describe.each([
  ['SIMD kernel', (weights: ProductWeights): HostProduct => hostProduct(weights)],
  ['plain loop', (weights: ProductWeights): HostProduct => new LoopProduct(weights)],
])('%s', (_, build) => {
  test.each(SHAPES)('W [%i, %i], %i rows of x: the float32 sums in the order of k, bit for bit', (rows, columns, count) => {
    const weights = weightsOf(rows, columns, rows * 1000 + columns);
    const x = randomFloats(3 + count * columns, count);
    const product = build(weights);
    expect(sameBits(product.multiply(x, 3, count), float32Reference(weights, x, 3, count))).toBe(true);
  });

  test.each(SHAPES)('W [%i, %i], %i rows: within float32 rounding of the exact sums', (rows, columns, count) => {
    const weights = weightsOf(rows, columns, rows + columns);
    const x = randomFloats(count * columns, 7);
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

  test('a row gets the same bits alone and in a batch', () => {
    const weights = weightsOf(33, 31, 5);
    const x = randomFloats(6 * 31, 9);
    const product = build(weights);
    const batch = product.multiply(x, 0, 6).slice();
    for (let r = 0; r < 6; r++) expect(sameBits(product.multiply(x, r * 31, 1), batch.subarray(r * 33, (r + 1) * 33))).toBe(true);
  });

  test('without a bias the sums start at zero; the weights survive the buffers growing', () => {
    const weights = weightsOf(17, 9, 3, false);
    const product = build(weights);
    const small = randomFloats(9, 4);
    const first = product.multiply(small, 0, 1).slice();
    const large = randomFloats(5000 * 9, 5);
    expect(sameBits(product.multiply(large, 0, 5000), float32Reference(weights, large, 0, 5000))).toBe(true);
    expect(sameBits(product.multiply(small, 0, 1), first)).toBe(true);
    expect(sameBits(first, float32Reference(weights, small, 0, 1))).toBe(true);
  });
});

test('where WebAssembly is missing, hostProduct falls back to the plain loop', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
  try {
    Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const isolated = require('../../src/manual/simd/hostProduct') as typeof import('../../src/manual/simd/hostProduct');
      expect(isolated.hostProduct(weightsOf(4, 4, 1))).toBeInstanceOf(isolated.LoopProduct);
    });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
});
