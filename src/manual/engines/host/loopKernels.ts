import { sigmoid32, tanh32 } from './float32Math';
import { PAGE_BYTES, StepKernels, WasmMemory } from './product';

const f = Math.fround;

/** A growable buffer with a WebAssembly memory's `buffer` and `grow` (pages of 64 KiB), for the plain loops. */
export class PlainMemory implements WasmMemory {
  buffer = new ArrayBuffer(PAGE_BYTES);

  grow(pages: number): number {
    const before = this.buffer.byteLength / PAGE_BYTES;
    const grown = new ArrayBuffer(this.buffer.byteLength + pages * PAGE_BYTES);
    new Uint8Array(grown).set(new Uint8Array(this.buffer));
    this.buffer = grown;
    return before;
  }
}

/**
 * `kernels.wat`'s product and fused steps as plain loops on a `PlainMemory`, doing the
 * kernels' float32 operations one by one in their order (`float32Math.ts` for σ and tanh):
 * their bits, where WebAssembly SIMD is missing. Addresses are in bytes, as the kernels take them.
 */
export class LoopKernels implements StepKernels {
  private floats = new Float32Array(0);
  private ints = new Int32Array(0);

  constructor(private readonly memory: WasmMemory) {}

  /** The memory's current views (a grown memory has a new buffer). */
  private views(): Float32Array {
    if (this.floats.buffer !== this.memory.buffer) {
      this.floats = new Float32Array(this.memory.buffer);
      this.ints = new Int32Array(this.memory.buffer);
    }
    return this.floats;
  }

  /** `out[r, j] = bias[r, j] + Σ_k x[r, k]·Wᵀ[k, j]`, each sum from its bias in the order of k. */
  biasPlusProducts = (out: number, bias: number, biasStride: number, x: number, weightsT: number, count: number, width: number, columns: number): void => {
    const heap = this.views();
    const [o, b, w, s] = [out >> 2, bias >> 2, weightsT >> 2, biasStride >> 2];
    for (let r = 0; r < count; r++) {
      const row = (x >> 2) + r * columns;
      for (let j = 0; j < width; j++) {
        let sum = heap[b + r * s + j];
        for (let k = 0; k < columns; k++) sum = f(sum + f(heap[row + k] * heap[w + k * width + j]));
        heap[o + r * width + j] = sum;
      }
    }
  };

  rnnStep(projection: number, recurrentT: number, hidden: number, gates: number, hiddenOut: number, lengths: number, t: number, count: number, size: number, relu: number): void {
    this.biasPlusProducts(gates, projection, 4 * size, hidden, recurrentT, count, size, size);
    const heap = this.floats;
    for (let row = 0; row < count; row++) {
      if (!this.goesOn(lengths, row, t)) continue;
      const [g, h] = [(gates >> 2) + row * size, (hidden >> 2) + row * size];
      for (let j = 0; j < size; j++) heap[h + j] = relu ? Math.max(heap[g + j], 0) : tanh32(heap[g + j]);
    }
    heap.copyWithin(hiddenOut >> 2, hidden >> 2, (hidden >> 2) + count * size);
  }

  lstmStep(
    projection: number, recurrentT: number, projectionT: number, zeros: number, hidden: number, cells: number, gates: number, unprojected: number,
    projected: number, hiddenOut: number, cellsOut: number, lengths: number, t: number, count: number, cellSize: number, outSize: number, projects: number,
  ): void {
    this.biasPlusProducts(gates, projection, 16 * cellSize, hidden, recurrentT, count, 4 * cellSize, outSize);
    const heap = this.floats;
    for (let row = 0; row < count; row++) {
      if (!this.goesOn(lengths, row, t)) continue;
      const g = (gates >> 2) + row * 4 * cellSize;
      const c = (cells >> 2) + row * cellSize;
      const m = ((projects ? unprojected : hidden) >> 2) + row * cellSize;
      for (let j = 0; j < cellSize; j++) {
        const cell = f(f(sigmoid32(heap[g + cellSize + j]) * heap[c + j]) + f(sigmoid32(heap[g + j]) * tanh32(heap[g + 2 * cellSize + j])));
        heap[c + j] = cell;
        heap[m + j] = f(sigmoid32(heap[g + 3 * cellSize + j]) * tanh32(cell));
      }
    }
    if (projects) {
      this.biasPlusProducts(projected, zeros, 0, unprojected, projectionT, count, outSize, cellSize);
      for (let row = 0; row < count; row++) {
        if (!this.goesOn(lengths, row, t)) continue;
        const from = (projected >> 2) + row * outSize;
        heap.copyWithin((hidden >> 2) + row * outSize, from, from + outSize);
      }
    }
    heap.copyWithin(hiddenOut >> 2, hidden >> 2, (hidden >> 2) + count * outSize);
    heap.copyWithin(cellsOut >> 2, cells >> 2, (cells >> 2) + count * cellSize);
  }

  gruStep(projection: number, recurrentT: number, hiddenBias: number, zeros: number, hidden: number, gates: number, hiddenOut: number, lengths: number, t: number, count: number, size: number): void {
    this.biasPlusProducts(gates, zeros, 0, hidden, recurrentT, count, 3 * size, size);
    const heap = this.floats;
    const bias = hiddenBias >> 2;
    for (let row = 0; row < count; row++) {
      if (!this.goesOn(lengths, row, t)) continue;
      const [p, g, h] = [(projection >> 2) + row * 3 * size, (gates >> 2) + row * 3 * size, (hidden >> 2) + row * size];
      for (let j = 0; j < size; j++) {
        const update = sigmoid32(f(heap[p + size + j] + heap[g + size + j]));
        const reset = sigmoid32(f(heap[p + j] + heap[g + j]));
        const candidate = tanh32(f(heap[p + 2 * size + j] + f(reset * f(heap[g + 2 * size + j] + heap[bias + j]))));
        heap[h + j] = f(f(f(heap[h + j] - candidate) * update) + candidate);
      }
    }
    heap.copyWithin(hiddenOut >> 2, hidden >> 2, (hidden >> 2) + count * size);
  }

  private goesOn(lengths: number, row: number, t: number): boolean {
    return this.ints[(lengths >> 2) + row] > t;
  }
}
