import { sigmoid32, tanh32 } from './float32Math';
import { KERNELS_WASM } from './kernelsWasm';

/** The activations a product applies to its sums in place. */
export type Activation = 'sigmoid' | 'tanh';

/**
 * `bias + x Wᵀ` for rows of x on the host, with W `[rows, columns]` read once, and σ or tanh
 * of those sums in place: a layer's input projection `x_t W_ihᵀ + bias` on the host engine
 * layer by layer, and a generated token's `nn.Linear` (the steps themselves run in one kernel
 * call each, on the same product: `fusedSteps.ts`). Every sum starts at its bias and
 * adds `x[r, k]·W[j, k]` in the order of k, each product and sum rounded to float32; σ and
 * tanh are float32 approximations within about two ulps (`kernels.wat`). The SIMD kernels and
 * the plain loop that stands in where WebAssembly SIMD is missing give the same bits, for a
 * row alone or in any batch, on every machine.
 */
export interface HostProduct {
  /** Sums per row of x: W's rows. */
  readonly rows: number;
  /** Features per row of x: W's columns. */
  readonly columns: number;
  /**
   * `bias + x Wᵀ` `[count, rows]` for the `count` rows of x `[·, columns]` that start at
   * `x[xOffset]`; with `initial`, its `[count, rows]` from `initialOffset` stand in for the
   * bias. A view of the product's own buffer: valid until its next call.
   */
  multiply(x: Float32Array, xOffset: number, count: number, initial?: Float32Array, initialOffset?: number): Float32Array;
  /**
   * In place on every row of the last `multiply`'s sums, from column `start`, one block of
   * `width` columns per entry of `activations`, each taking that activation.
   */
  activate(activations: readonly Activation[], start: number, width: number): void;
  /** Hands the product's buffers to the next `createHostProduct` (creating them costs tens of µs); the product is not used again. */
  release(): void;
}

/** What `createHostProduct` builds from: `Wᵀ` `[columns, rows]`, row-major, and the bias `[rows]` (zeros when absent). */
export interface ProductWeights {
  weightsT: Float32Array;
  rows: number;
  columns: number;
  bias?: Float32Array;
}

/** A product on the SIMD kernels where this runtime has WebAssembly SIMD, else on the plain loop. */
export function createHostProduct(weights: ProductWeights): HostProduct {
  const instance = kernelsInstance();
  return instance ? new WasmProduct(instance, weights) : new LoopProduct(weights);
}

/** An instance of the kernels (a released one if any), or undefined where WebAssembly SIMD is missing. */
export function kernelsInstance(): KernelsInstance | undefined {
  const module = kernelsModule();
  if (!module) return undefined;
  return idleInstances.pop() ?? new (webAssembly() as WasmApi).Instance(module, {});
}

/**
 * Hands an instance back for the next user (its memory stays as it is); it is not used again.
 * An instance whose memory grew beyond `RETAINED_MEMORY_BYTES` is dropped instead, so that one
 * large call does not keep its memory for the rest of the process.
 */
export function releaseKernelsInstance(instance: KernelsInstance): void {
  if (idleInstances.length < MAX_IDLE_INSTANCES && instance.exports.memory.buffer.byteLength <= RETAINED_MEMORY_BYTES) idleInstances.push(instance);
}

/**
 * Bytes of kernel memory kept between calls, per instance: calls up to this size reuse their
 * pages (a fresh page costs more than the arithmetic on it); a larger call's memory is given
 * back after it. 256 MiB holds, e.g., an LSTM 64 → 128 over 80,000 rows of `L·N`.
 */
export const RETAINED_MEMORY_BYTES = 256 * 2 ** 20;

export const FLOAT_BYTES = 4;
export const PAGE_BYTES = 65536;
/** Which kernel takes a block: bit g of the kernel's `kinds`. */
const ACTIVATION_KINDS: Record<Activation, number> = { sigmoid: 0, tanh: 1 };

/** Kernel instances released by their products, for the next ones. */
const idleInstances: KernelsInstance[] = [];
const MAX_IDLE_INSTANCES = 8;

export type ProductKernel = (out: number, bias: number, biasStride: number, x: number, weightsT: number, count: number, width: number, columns: number) => void;
type ActivationKernel = (start: number, width: number, gates: number, kinds: number, rows: number, rowStride: number) => void;

/** The part of the WebAssembly API the products use (declared here: neither build's lib has it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => KernelsInstance;
}
export interface KernelsInstance {
  exports: StepKernels & { memory: WasmMemory; activate: ActivationKernel };
}

/**
 * `kernels.wat`'s product and fused steps, on byte addresses into one memory (see there for
 * each one's parameters): the SIMD exports, or the plain loops that stand in for them.
 */
export interface StepKernels {
  biasPlusProducts: ProductKernel;
  rnnStep(projection: number, recurrentT: number, hidden: number, gates: number, hiddenOut: number, lengths: number, t: number, count: number, size: number, relu: number): void;
  lstmStep(
    projection: number, recurrentT: number, projectionT: number, zeros: number, hidden: number, cells: number, gates: number, unprojected: number,
    projected: number, hiddenOut: number, cellsOut: number, lengths: number, t: number, count: number, cellSize: number, outSize: number, projects: number,
  ): void;
  gruStep(projection: number, recurrentT: number, hiddenBias: number, zeros: number, hidden: number, gates: number, hiddenOut: number, lengths: number, t: number, count: number, size: number): void;
}

/** A WebAssembly memory, or a plain buffer that grows the same way. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** This runtime's WebAssembly, if it has one. */
function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

let compiled: object | null | undefined;

/** The kernels' compiled module, or null where WebAssembly or its SIMD is missing (or a page's CSP forbids compiling). */
function kernelsModule(): object | null {
  if (compiled === undefined) {
    const wasm = webAssembly();
    try {
      compiled = wasm && wasm.validate(KERNELS_WASM) ? new wasm.Module(KERNELS_WASM) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The product on `kernels.wat`, in an instance of its own until released (its memory goes with
 * the product).
 * Memory, in floats: `Wᵀ` `[columns, rows]` at 0, the bias `[rows]`, then room for x
 * `[capacity, columns]`, the initial sums and the sums (each `[capacity, rows]`).
 */
export class WasmProduct implements HostProduct {
  readonly rows: number;
  readonly columns: number;
  private readonly instance: KernelsInstance;
  private released = false;
  private readonly memory: WasmMemory;
  private readonly products: ProductKernel;
  private readonly activation: ActivationKernel;
  private readonly biasStart: number;
  private readonly xStart: number;
  private capacity = 0;
  private initialStart = 0;
  private sumsStart = 0;
  private heap = new Float32Array(0);
  /** The last view returned, and its row count. */
  private sums = new Float32Array(0);
  private sumsCount = 0;

  /** @param instance of `kernelsModule()`, new or released. */
  constructor(instance: KernelsInstance, { weightsT, rows, columns, bias }: ProductWeights) {
    this.rows = rows;
    this.columns = columns;
    this.instance = instance;
    const { exports } = instance;
    this.memory = exports.memory;
    this.products = exports.biasPlusProducts;
    this.activation = exports.activate;
    this.biasStart = rows * columns;
    this.xStart = this.biasStart + rows;
    this.reserve(1);
    this.heap.set(weightsT.subarray(0, rows * columns));
    if (bias) this.heap.set(bias.subarray(0, rows), this.biasStart);
    else this.heap.fill(0, this.biasStart, this.biasStart + rows);
  }

  release(): void {
    if (!this.released) releaseKernelsInstance(this.instance);
    this.released = true;
  }

  multiply(x: Float32Array, xOffset: number, count: number, initial?: Float32Array, initialOffset = 0): Float32Array {
    if (count > this.capacity) this.reserve(count);
    const { heap, rows, columns } = this;
    copyInto(heap, this.xStart, x, xOffset, count * columns);
    if (initial) copyInto(heap, this.initialStart, initial, initialOffset, count * rows);
    const bias = initial ? this.initialStart : this.biasStart;
    const biasStride = initial ? rows * FLOAT_BYTES : 0;
    this.products(this.sumsStart * FLOAT_BYTES, bias * FLOAT_BYTES, biasStride, this.xStart * FLOAT_BYTES, 0, count, rows, columns);
    if (count !== this.sumsCount) {
      this.sums = heap.subarray(this.sumsStart, this.sumsStart + count * rows);
      this.sumsCount = count;
    }
    return this.sums;
  }

  activate(activations: readonly Activation[], start: number, width: number): void {
    const { sumsStart, sumsCount, rows } = this;
    const kinds = activations.reduce((bits, activation, gate) => bits | (ACTIVATION_KINDS[activation] << gate), 0);
    this.activation((sumsStart + start) * FLOAT_BYTES, width, activations.length, kinds, sumsCount, rows * FLOAT_BYTES);
  }

  /** Grows the memory to hold `count` rows of x and of the sums (the weights and bias stay where they are). */
  private reserve(count: number): void {
    const capacity = Math.max(count, 2 * this.capacity);
    const floats = this.xStart + capacity * (this.columns + 2 * this.rows);
    const pages = Math.ceil((floats * FLOAT_BYTES) / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) this.memory.grow(pages);
    this.capacity = capacity;
    this.initialStart = this.xStart + capacity * this.columns;
    this.sumsStart = this.initialStart + capacity * this.rows;
    this.heap = new Float32Array(this.memory.buffer);
    this.sumsCount = 0;
    this.sums = this.heap.subarray(this.sumsStart, this.sumsStart);
  }
}

/** Floats below which a loop copies faster than `set` on a new view. */
const LOOP_COPY_FLOATS = 32;

/**
 * `target[at …] = source[from …]` for `length` floats. A source too short (e.g. a view of
 * memory that has grown since, whose buffer is detached) throws instead of copying less.
 */
export function copyInto(target: Float32Array, at: number, source: Float32Array, from: number, length: number): void {
  if (from + length > source.length) throw new RangeError(`copyInto: ${length} floats from ${from} of a source of ${source.length}`);
  if (length > LOOP_COPY_FLOATS) target.set(source.subarray(from, from + length), at);
  else for (let i = 0; i < length; i++) target[at + i] = source[from + i];
}

/** The product as plain loops doing the kernels' float32 operations one by one: their bits, slower. */
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

  multiply(x: Float32Array, xOffset: number, count: number, initial?: Float32Array, initialOffset = 0): Float32Array {
    const { rows, columns, weightsT, bias } = this;
    if (this.sums.length !== count * rows) this.sums = new Float32Array(count * rows);
    for (let r = 0; r < count; r++) {
      const row = xOffset + r * columns;
      for (let j = 0; j < rows; j++) {
        let sum = initial ? initial[initialOffset + r * rows + j] : bias[j];
        for (let k = 0; k < columns; k++) sum = Math.fround(sum + Math.fround(x[row + k] * weightsT[k * rows + j]));
        this.sums[r * rows + j] = sum;
      }
    }
    return this.sums;
  }

  release(): void {}

  activate(activations: readonly Activation[], start: number, width: number): void {
    for (let row = 0; row < this.sums.length; row += this.rows) {
      activations.forEach((activation, gate) => {
        const apply = activation === 'sigmoid' ? sigmoid32 : tanh32;
        const from = row + start + gate * width;
        for (let j = from; j < from + width; j++) this.sums[j] = apply(this.sums[j]);
      });
    }
  }
}
