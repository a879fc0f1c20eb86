import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { readingOrder } from '../../tensorSteps';
import { FLOAT32, HeapView, WasmKernels, heapF32, idOf, offsetOf, uninitialisedTensor } from './adapter';

export { FLOAT32, WasmKernels, idOf, wasmKernels } from './adapter';

/**
 * The wasm engine: `recur`'s forward steps on the wasm backend, calling its kernels
 * (XNNPACK's matMul, sigmoid, …) directly instead of through one tf op each. Every cell's
 * wasm steps (`wasmStepsFor`) run in `recurOnWasm`, the cell giving only the kernel calls of one step.
 * The kernels read each step of the projection and write each state in place, inside the
 * `[L, N, F]` outputs, through tensor ids registered over those rows. Per step this saves the
 * engine's bookkeeping (10–50 µs an op), a fresh output buffer for every op, splitting the
 * projection into steps and stacking the states: together about as much as the arithmetic
 * itself at 32×128.
 *
 * Each kernel gives the bits of the tf op of the same name on the same inputs. The backend's
 * internals are reached only through `adapter.ts`, which holds the versions they are known for.
 */

/** Int32 values as the bytes a `cwrap` 'array' argument takes (shapes). */
export function int32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

/**
 * Elementwise kernels on float32 buffers of one size, by id (`StepBuffers.elementwise`).
 * Outputs may be inputs: in place, a buffer stays in cache (an add is 2× faster than into a
 * fresh buffer at 256×256, 4× at 256×1024).
 */
export interface Elementwise {
  add(a: number, b: number, out: number): void;
  sub(a: number, b: number, out: number): void;
  multiply(a: number, b: number, out: number): void;
  sigmoid(x: number, out: number): void;
  /** `out = 2a + b`: `a + a` (exact) then `+ b`, rounding once, as `addN([a, a, b])`; `out` may be `a`, not `b`. */
  doubledPlus(a: number, b: number, out: number): void;
  /** `out = 2s − 1` (tanh z from `s = σ(2z)`): `s + s` (exact) then `− 1`, rounding once, as `addN([s, s, −1])`. */
  twiceMinusOne(s: number, out: number): void;
}

/**
 * `out = a · weights` by XNNPACK's matMul, `a` `[N, K]`, `weights` `[K, M]`, for `[N, K, M]`
 * `dims` (XNNPACK packs the weights on the first call and caches them by their id).
 */
export function matMulBy(kernels: WasmKernels, weights: number, [rows, inner, columns]: [number, number, number]): (a: number, out: number) => void {
  const [aShape, weightShape] = [int32Bytes([1, rows, inner]), int32Bytes([1, inner, columns])];
  return (a, out) => kernels.batchMatMul(a, aShape, 3, weights, weightShape, 3, false, false, out);
}

/** float32 values in the wasm heap that kernels reach by `id`. */
export interface HeapBuffer {
  id: number;
  /** Byte offset in the heap. */
  offset: number;
}

/**
 * The buffers a cell's steps use over one sequence: tensors made for it and ids viewing
 * parts of them or of the sequence, all freed by `free` (tensors borrowed from the caller
 * are only read).
 */
export class StepBuffers {
  private readonly tensors: tf.Tensor[] = [];
  private readonly views: HeapView[] = [];
  private minusOne?: HeapBuffer;
  private readonly backend: BackendWasm;

  constructor(private readonly kernels: WasmKernels) {
    this.backend = kernels.backend;
  }

  /** `tensor`'s data, read but not owned. */
  borrow(tensor: tf.Tensor): HeapBuffer {
    return { id: idOf(this.backend, tensor), offset: offsetOf(this.backend, tensor) };
  }

  /** Owns `tensor` (made for this sequence) until `free`. */
  keep(tensor: tf.Tensor): HeapBuffer {
    this.tensors.push(tensor);
    return this.borrow(tensor);
  }

  /** A new buffer of `size` float32 values, uninitialised: each step writes it before reading it. */
  scratch(size: number): HeapBuffer {
    return this.keep(uninitialisedTensor(this.backend, [size]));
  }

  /** The elementwise kernels on buffers of `size` values. */
  elementwise(size: number): Elementwise {
    const { kernels } = this;
    const [shape, scalarShape] = [int32Bytes([size]), int32Bytes([1])];
    this.minusOne ??= this.keep(tf.scalar(-1));
    const minusOne = this.minusOne.id;
    const add = (a: number, b: number, out: number) => kernels.add(a, shape, 1, b, shape, 1, FLOAT32, out);
    return {
      add,
      sub: (a, b, out) => kernels.sub(a, shape, 1, b, shape, 1, FLOAT32, out),
      multiply: (a, b, out) => kernels.multiply(a, shape, 1, b, shape, 1, FLOAT32, out),
      sigmoid: (x, out) => kernels.sigmoid(x, out),
      doubledPlus: (a, b, out) => {
        add(a, a, out);
        add(out, b, out);
      },
      twiceMinusOne: (s, out) => {
        add(s, s, out);
        kernels.add(out, shape, 1, minusOne, scalarShape, 1, FLOAT32, out);
      },
    };
  }

  /** `count` consecutive blocks of `size` values from byte `offset`, each with an id of its own. */
  blocks(offset: number, count: number, size: number): HeapBuffer[] {
    return Array.from({ length: count }, (_, k) => this.view(size, offset + 4 * k * size));
  }

  /** An id over `size` values from byte `offset`, movable (`HeapView.moveTo`). */
  view(size: number, offset: number): HeapView {
    const view = new HeapView(this.backend, size, offset);
    this.views.push(view);
    return view;
  }

  free(): void {
    this.views.forEach((view) => view.drop());
    tf.dispose(this.tensors);
  }
}

/**
 * A cell's kernel calls of one step: from p_t (the view given to its set-up) and the states
 * before the step (`previous`: the initial states, or views into the outputs) to the states
 * after it (`next`: views into the outputs, written in place).
 */
export type WasmStep = (previous: number[], next: number[]) => void;

/**
 * The states of `recur` (see there) from a cell's steps on wasm's kernels: `setUp` makes the
 * cell's buffers in `buffers` and returns its step, which runs once per step in reading
 * order with `projection` (a view `[N, G·H]`) moved to p_t. With `lengths`, row b copies its
 * previous states at steps `t ≥ lengths[b]`.
 *
 * @param projection `[L, N, G·H]`. @param initial the states before the first step read, `[N, F]` each.
 * @returns each state after every step, `[L, N, F]`, in time order.
 */
export function recurOnWasm(
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
  setUp: (buffers: StepBuffers, projection: HeapBuffer) => WasmStep,
): tf.Tensor3D[] {
  const { backend } = kernels;
  const [seqLen, batchSize, gateSize] = projection.shape;
  const sizes = initial.map((state) => state.shape[1]);
  const outputs = sizes.map((size) => uninitialisedTensor<tf.Tensor3D>(backend, [seqLen, batchSize, size]));
  const buffers = new StepBuffers(kernels);
  try {
    const projectionStart = offsetOf(backend, projection);
    const outputStarts = outputs.map((output) => offsetOf(backend, output));
    const projectionRow = buffers.view(batchSize * gateSize, projectionStart);
    // Each state written and the one read alternate between two views.
    const stateRows = sizes.map((size, i) => [0, 1].map(() => buffers.view(batchSize * size, outputStarts[i])));
    const step = setUp(buffers, projectionRow);
    const shortest = lengths === undefined ? seqLen : Math.min(...lengths);
    let previous = initial.map((state) => buffers.borrow(state));
    readingOrder(seqLen, reverse).forEach((t, index) => {
      projectionRow.moveTo(projectionStart + 4 * t * batchSize * gateSize);
      const next = stateRows.map((rows, i) => {
        rows[index % 2].moveTo(outputStarts[i] + 4 * t * batchSize * sizes[i]);
        return rows[index % 2];
      });
      step(previous.map(({ id }) => id), next.map(({ id }) => id));
      if (t >= shortest) sizes.forEach((size, i) => keepEndedRows(backend, lengths!, t, previous[i].offset, next[i].offset, size));
      previous = next.map(({ id, offset }) => ({ id, offset }));
    });
  } catch (error) {
    tf.dispose(outputs);
    throw error;
  } finally {
    buffers.free();
  }
  return outputs;
}

/**
 * Copies blocks of `[N, G·H]` rows into blocks `[N, H]` of their own: gate block `gates[j]`
 * of every row of the buffer at byte `from` goes to row n of block j from byte `to`. This
 * puts each gate's values together (gate-major), as elementwise kernels need them.
 */
export function copyGates(backend: BackendWasm, from: number, to: number, { batchSize, hiddenSize, gateCount, gates }: GateLayout): void {
  const heap = heapF32(backend);
  const rowSize = gateCount * hiddenSize;
  gates.forEach((gate, j) => {
    const source = from / 4 + gate * hiddenSize;
    const target = to / 4 + j * batchSize * hiddenSize;
    for (let n = 0; n < batchSize; n++) {
      const start = source + n * rowSize;
      heap.copyWithin(target + n * hiddenSize, start, start + hiddenSize);
    }
  });
}

/** Which gate blocks `copyGates` copies out of `[N, G·H]` rows, in their order. */
export interface GateLayout {
  batchSize: number;
  hiddenSize: number;
  gateCount: number;
  gates: number[];
}

/** Step `t` of `sequence` `[L, N, F]` as a new `[N, F]` tensor: one copy inside the wasm heap. */
export function copyStep({ backend }: WasmKernels, sequence: tf.Tensor3D, t: number): tf.Tensor2D {
  const [, batchSize, features] = sequence.shape;
  const step = uninitialisedTensor<tf.Tensor2D>(backend, [batchSize, features]);
  const stepSize = batchSize * features;
  const from = offsetOf(backend, sequence) / 4 + t * stepSize;
  heapF32(backend).copyWithin(offsetOf(backend, step) / 4, from, from + stepSize);
  return step;
}

/** Copies the previous state's row b into the state at step t for every b with `lengths[b] ≤ t`. */
function keepEndedRows(backend: BackendWasm, lengths: Int32Array, t: number, previousOffset: number, stateOffset: number, size: number): void {
  const heap = heapF32(backend);
  lengths.forEach((length, b) => {
    if (length > t) return;
    const from = previousOffset / 4 + b * size;
    heap.copyWithin(stateOffset / 4 + b * size, from, from + size);
  });
}
