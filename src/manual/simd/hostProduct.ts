import { PRODUCT_WASM } from './productWasm';

/**
 * `bias + x Wᵀ` for rows of x on the host, with W `[rows, columns]` read once: the matrix
 * products of the host path (each layer's `x_t W_ihᵀ + bias`, each step's `h W_hhᵀ`, an LSTM's
 * `W_hr`). Every sum starts at its bias and adds `x[r, k]·W[j, k]` in the order of k, each
 * product and sum rounded to float32 — the same bits from the SIMD kernel (`product.wat`) and
 * from the plain loop that stands in where WebAssembly SIMD is missing, for a row alone or in
 * any batch, on every machine.
 */
export interface HostProduct {
  /** Sums per row of x: W's rows. */
  readonly rows: number;
  /** Features per row of x: W's columns. */
  readonly columns: number;
  /**
   * `bias + x Wᵀ` `[count, rows]` for the `count` rows of x `[·, columns]` that start at
   * `x[xOffset]`. A view of the product's own buffer: valid until its next call.
   */
  multiply(x: Float32Array, xOffset: number, count: number): Float32Array;
}

/** What `hostProduct` builds from: `Wᵀ` `[columns, rows]`, row-major, and the bias `[rows]` (zeros when absent). */
export interface ProductWeights {
  weightsT: Float32Array;
  rows: number;
  columns: number;
  bias?: Float32Array;
}

/** A product on the SIMD kernel where this runtime has WebAssembly SIMD, else on the plain loop. */
export function hostProduct(weights: ProductWeights): HostProduct {
  const module = productModule();
  return module ? new WasmProduct(module, weights) : new LoopProduct(weights);
}

/** Rows of x and of the sums a product keeps room for (at least): its buffers grow on demand. */
const INITIAL_ROWS = 1;
const FLOAT_BYTES = 4;
const PAGE_BYTES = 65536;

/** The part of the WebAssembly API the product uses (declared here: neither build's lib has it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: WasmMemory; biasPlusProducts: ProductKernel } };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** This runtime's WebAssembly, if it has one. */
function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

let compiled: object | null | undefined;

/** The kernel's compiled module, or null where WebAssembly or its SIMD is missing (or a page's CSP forbids compiling). */
function productModule(): object | null {
  if (compiled === undefined) {
    const wasm = webAssembly();
    try {
      compiled = wasm && wasm.validate(PRODUCT_WASM) ? new wasm.Module(PRODUCT_WASM) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

type ProductKernel = (out: number, bias: number, x: number, weightsT: number, count: number, width: number, columns: number) => void;

/**
 * The product on `product.wat`, in an instance of its own (its memory goes with the product).
 * Memory, in floats: `Wᵀ` `[columns, rows]` at 0, the bias `[rows]`, then room for x
 * `[capacity, columns]` and the sums `[capacity, rows]`.
 */
export class WasmProduct implements HostProduct {
  readonly rows: number;
  readonly columns: number;
  private readonly memory: WasmMemory;
  private readonly kernel: ProductKernel;
  private readonly biasStart: number;
  private readonly xStart: number;
  private capacity = 0;
  private sumsStart = 0;
  private heap = new Float32Array(0);
  /** The last view returned, and its row count. */
  private sums = new Float32Array(0);
  private sumsCount = -1;

  /** @param module `productModule()`'s. */
  constructor(module: object, { weightsT, rows, columns, bias }: ProductWeights) {
    this.rows = rows;
    this.columns = columns;
    const { exports } = new (webAssembly() as WasmApi).Instance(module, {});
    this.memory = exports.memory;
    this.kernel = exports.biasPlusProducts;
    this.biasStart = rows * columns;
    this.xStart = this.biasStart + rows;
    this.reserve(INITIAL_ROWS);
    this.heap.set(weightsT.subarray(0, rows * columns));
    if (bias) this.heap.set(bias.subarray(0, rows), this.biasStart);
  }

  multiply(x: Float32Array, xOffset: number, count: number): Float32Array {
    if (count > this.capacity) this.reserve(count);
    const { heap, rows, columns } = this;
    const length = count * columns;
    for (let i = 0; i < length; i++) heap[this.xStart + i] = x[xOffset + i];
    this.kernel(this.sumsStart * FLOAT_BYTES, this.biasStart * FLOAT_BYTES, this.xStart * FLOAT_BYTES, 0, count, rows, columns);
    if (count !== this.sumsCount) {
      this.sums = heap.subarray(this.sumsStart, this.sumsStart + count * rows);
      this.sumsCount = count;
    }
    return this.sums;
  }

  /** Grows the memory to hold `count` rows of x and of the sums (the weights and bias stay where they are). */
  private reserve(count: number): void {
    const capacity = Math.max(count, 2 * this.capacity);
    const floats = this.xStart + capacity * (this.columns + this.rows);
    const pages = Math.ceil((floats * FLOAT_BYTES) / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) this.memory.grow(pages);
    this.capacity = capacity;
    this.sumsStart = this.xStart + capacity * this.columns;
    this.heap = new Float32Array(this.memory.buffer);
    this.sumsCount = -1;
  }
}

/** The product as a plain loop with every product and sum rounded to float32: the kernel's bits, slower. */
export class LoopProduct implements HostProduct {
  readonly rows: number;
  readonly columns: number;
  private readonly weightsT: Float32Array;
  private readonly bias: Float32Array;
  private sums = new Float32Array(0);

  constructor({ weightsT, rows, columns, bias }: ProductWeights) {
    this.rows = rows;
    this.columns = columns;
    this.weightsT = Float32Array.from(weightsT.subarray(0, rows * columns));
    this.bias = bias ? Float32Array.from(bias.subarray(0, rows)) : new Float32Array(rows);
  }

  multiply(x: Float32Array, xOffset: number, count: number): Float32Array {
    const { rows, columns, weightsT, bias } = this;
    if (this.sums.length !== count * rows) this.sums = new Float32Array(count * rows);
    for (let r = 0; r < count; r++) {
      const row = xOffset + r * columns;
      for (let j = 0; j < rows; j++) {
        let sum = bias[j];
        for (let k = 0; k < columns; k++) sum = Math.fround(sum + Math.fround(x[row + k] * weightsT[k * rows + j]));
        this.sums[r * rows + j] = sum;
      }
    }
    return this.sums;
  }
}
