import * as tf from '@tensorflow/tfjs';
import { BackendWasm, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { readingOrder } from './hostSteps';

/**
 * `recur`'s forward steps on the wasm backend, calling its kernels (XNNPACK's matMul,
 * sigmoid, …) directly instead of through one tf op each: the engine every cell's
 * `stepsOnWasm` runs on (`recurOnWasm`), the cell giving only the kernel calls of one step.
 * The kernels read each step of the projection and write each state in place, inside the
 * `[L, N, F]` outputs, through tensor ids registered over those rows. Per step this saves the
 * engine's bookkeeping (10–50 µs an op), a fresh output buffer for every op, splitting the
 * projection into steps and stacking the states: together about as much as the arithmetic
 * itself at 32×128.
 *
 * Each kernel gives the bits of the tf op of the same name on the same inputs. Kernel
 * signatures are those of tfjs-backend-wasm `KERNELS_VERSION`; with any other version
 * `wasmKernels()` is undefined and the recurrence runs as tf ops.
 */

/** The tfjs-backend-wasm whose kernel signatures this module calls. */
export const KERNELS_VERSION = '4.22.0';

/** The kernels' dtype code of float32. */
export const FLOAT32 = 0;

/** The parts of the backend's emscripten module used here. */
interface WasmModule {
  cwrap(name: string, returnType: null, argTypes: Array<'number' | 'array'>): (...args: never[]) => void;
  HEAPF32: Float32Array;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

function moduleOf(backend: BackendWasm): WasmModule {
  return backend.wasm as unknown as WasmModule;
}

/**
 * The C kernels used, as the backend's JS kernels `cwrap` them: tensor ids, shapes as int32
 * bytes and their rank. The binary kernels broadcast as XNNPACK does.
 */
export interface WasmKernels {
  backend: BackendWasm;
  batchMatMul(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number): void;
  add(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, dtype: number, outId: number): void;
  sub(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, dtype: number, outId: number): void;
  multiply(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, dtype: number, outId: number): void;
  sigmoid(xId: number, outId: number): void;
  relu(xId: number, dtype: number, outId: number): void;
}

let bound: { backend: BackendWasm; kernels: WasmKernels } | undefined;

/** The wasm kernels of the active backend, or undefined when it is not wasm `KERNELS_VERSION`. */
export function wasmKernels(): WasmKernels | undefined {
  if (tf.getBackend() !== 'wasm' || version_wasm !== KERNELS_VERSION) return undefined;
  const backend = tf.backend() as BackendWasm;
  if (bound?.backend !== backend) {
    const module = moduleOf(backend);
    const cwrap = module.cwrap.bind(module);
    const numbers = (count: number) => Array<'number'>(count).fill('number');
    const binary: Array<'number' | 'array'> = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number'];
    bound = {
      backend,
      kernels: {
        backend,
        batchMatMul: cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']),
        add: cwrap('Add', null, binary),
        sub: cwrap('Sub', null, binary),
        multiply: cwrap('Multiply', null, binary),
        sigmoid: cwrap('Sigmoid', null, numbers(2)),
        relu: cwrap('Relu', null, numbers(3)),
      },
    };
  }
  return bound.kernels;
}

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

/** The backend's id of a tensor's data, as kernels take it. */
export function idOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.id;
}

/** Byte offset of a tensor's data in the wasm heap. */
function offsetOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/** float32 values in the wasm heap that kernels reach by `id`. */
export interface HeapBuffer {
  id: number;
  /** Byte offset in the heap. */
  offset: number;
}

/**
 * A tensor id over `size` float32 values of the wasm heap that belong to another buffer
 * (no memory of its own), which can be moved from row to row: re-registering one id costs
 * less than making a tensor per row.
 */
class RowView implements HeapBuffer {
  readonly id: number;
  private readonly dataId: object;

  constructor(private readonly backend: BackendWasm, private readonly size: number, public offset: number) {
    this.dataId = backend.makeOutput([size], 'float32', offset).dataId;
    this.id = backend.dataIdMap.get(this.dataId)!.id;
  }

  /** Points the id at byte `offset`. */
  moveTo(offset: number): void {
    const { tfjs } = moduleOf(this.backend);
    tfjs.disposeData(this.id);
    tfjs.registerTensor(this.id, this.size, offset);
    this.offset = offset;
  }

  /** Unregisters the id; the buffer it pointed into is left alone. */
  drop(): void {
    moduleOf(this.backend).tfjs.disposeData(this.id);
    this.backend.dataIdMap.delete(this.dataId);
  }
}

/**
 * The buffers a cell's steps use over one sequence: tensors made for it and ids viewing
 * parts of them or of the sequence, all freed by `free` (tensors borrowed from the caller
 * are only read).
 */
export class StepBuffers {
  private readonly tensors: tf.Tensor[] = [];
  private readonly views: RowView[] = [];
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
    return this.keep(tf.engine().makeTensorFromTensorInfo(this.backend.makeOutput([size], 'float32')));
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

  /** An id over `size` values from byte `offset`, movable (`RowView.moveTo`). */
  view(size: number, offset: number): RowView {
    const view = new RowView(this.backend, size, offset);
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
  const outputs = sizes.map((size) => tf.engine().makeTensorFromTensorInfo(backend.makeOutput([seqLen, batchSize, size], 'float32')) as tf.Tensor3D);
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
  const heap = moduleOf(backend).HEAPF32;
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
  const step = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([batchSize, features], 'float32')) as tf.Tensor2D;
  const stepSize = batchSize * features;
  const from = offsetOf(backend, sequence) / 4 + t * stepSize;
  moduleOf(backend).HEAPF32.copyWithin(offsetOf(backend, step) / 4, from, from + stepSize);
  return step;
}

/** Copies the previous state's row b into the state at step t for every b with `lengths[b] ≤ t`. */
function keepEndedRows(backend: BackendWasm, lengths: Int32Array, t: number, previousOffset: number, stateOffset: number, size: number): void {
  const heap = moduleOf(backend).HEAPF32;
  lengths.forEach((length, b) => {
    if (length > t) return;
    const from = previousOffset / 4 + b * size;
    heap.copyWithin(stateOffset / 4 + b * size, from, from + size);
  });
}
