import * as tf from '@tensorflow/tfjs';
import { BackendWasm, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { Nonlinearity } from '../config';
import { readingOrder } from './hostSteps';

/**
 * `recur`'s forward steps on the wasm backend, calling its kernels (XNNPACK's matMul,
 * sigmoid, …) directly instead of through one tf op each. The kernels read each step of the
 * projection and write each state in place, inside the one `[L, N, H]` output, through
 * tensor ids registered over those rows. Per step this saves the engine's bookkeeping
 * (10–50 µs an op), a fresh output buffer for every op, splitting the projection into steps
 * and stacking the states: together about as much as the arithmetic itself at 32×128.
 *
 * The numbers are the tf ops' numbers, to the bit: the same kernels on the same inputs.
 * Kernel signatures are those of tfjs-backend-wasm `KERNELS_VERSION`; with any other
 * version `wasmKernels()` is undefined and the recurrence runs as tf ops.
 */

/** The tfjs-backend-wasm whose kernel signatures this module calls. */
export const KERNELS_VERSION = '4.22.0';

const FLOAT32 = 0;

/** The parts of the backend's emscripten module used here. */
interface WasmModule {
  cwrap(name: string, returnType: null, argTypes: Array<'number' | 'array'>): (...args: never[]) => void;
  HEAPF32: Float32Array;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

function moduleOf(backend: BackendWasm): WasmModule {
  return backend.wasm as unknown as WasmModule;
}

/** The C kernels used, as the backend's JS kernels `cwrap` them (ids, shape pointers). */
export interface WasmKernels {
  backend: BackendWasm;
  batchMatMul(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number): void;
  add(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, dtype: number, outId: number): void;
  addN(ids: Uint8Array, count: number, dtype: number, outId: number): void;
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
    bound = {
      backend,
      kernels: {
        backend,
        batchMatMul: cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']),
        add: cwrap('Add', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number']),
        addN: cwrap('AddN', null, ['array', 'number', 'number', 'number']),
        sigmoid: cwrap('Sigmoid', null, numbers(2)),
        relu: cwrap('Relu', null, numbers(3)),
      },
    };
  }
  return bound.kernels;
}

/** Int32 values as the bytes a `cwrap` 'array' argument takes. */
function int32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}

/** The backend's id of a tensor's data, as kernels take it. */
function idOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.id;
}

/**
 * A tensor id over `size` float32 values of the wasm heap that belong to another buffer
 * (no memory of its own), moved from row to row: re-registering one id costs less than
 * making a tensor per row.
 */
class RowView {
  readonly id: number;
  private readonly dataId: object;

  constructor(private readonly backend: BackendWasm, private readonly size: number, offset: number) {
    this.dataId = backend.makeOutput([size], 'float32', offset).dataId;
    this.id = backend.dataIdMap.get(this.dataId)!.id;
  }

  /** Points the id at byte `offset`. */
  moveTo(offset: number): void {
    const { tfjs } = moduleOf(this.backend);
    tfjs.disposeData(this.id);
    tfjs.registerTensor(this.id, this.size, offset);
  }

  /** Unregisters the id; the buffer it pointed into is left alone. */
  drop(): void {
    moduleOf(this.backend).tfjs.disposeData(this.id);
    this.backend.dataIdMap.delete(this.dataId);
  }
}

/** Byte offset of a tensor's data in the wasm heap. */
function offsetOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/**
 * The states of `recur` (see there): `projection` `[L, N, H]`, `initial` `[N, H]`,
 * `recurrentT` `[H, H]` (`W_hhᵀ`) → `[L, N, H]`, in time order.
 *
 * tanh is `2σ(2z) − 1` (wasm's tanh is a scalar loop, its sigmoid XNNPACK's vector kernel):
 * `2z` is `addN([p, p, h·2W_hhᵀ])` (doubling is exact, so this is `2·(p + h·W_hhᵀ)` to the
 * bit) and `2s − 1` is `addN([s, s, −1])`, each rounding once. relu is `relu(p + h·W_hhᵀ)`.
 * With `lengths`, row b copies its previous state at steps `t ≥ lengths[b]`.
 */
export function statesOnWasm(
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D,
  recurrentT: tf.Tensor2D,
  { nonlinearity, reverse, lengths }: { nonlinearity: Nonlinearity; reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D {
  const { backend } = kernels;
  const [seqLen, batchSize, hiddenSize] = projection.shape;
  const stepShape = [batchSize, hiddenSize];
  const stepSize = batchSize * hiddenSize;
  const tanh = nonlinearity === 'tanh';
  const states = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([seqLen, batchSize, hiddenSize], 'float32')) as tf.Tensor3D;
  const scratch = tf.tidy(() => ({
    // W_hhᵀ as the step multiplies by it: doubled for tanh's 2z.
    weights: tanh ? tf.mul(recurrentT, 2) : tf.clone(recurrentT),
    minusOne: tf.fill(stepShape, -1),
    product: tf.zeros(stepShape),
    preActivation: tf.zeros(stepShape),
  }));
  const [projectionOffset, statesOffset] = [offsetOf(backend, projection), offsetOf(backend, states)];
  const views: RowView[] = [];
  try {
    const id = (tensor: tf.Tensor) => idOf(backend, tensor);
    const [product, preActivation, weights, minusOne] = [scratch.product, scratch.preActivation, scratch.weights, scratch.minusOne].map(id);
    const projectionRow = new RowView(backend, stepSize, projectionOffset);
    // The state written and the one read alternate between two views.
    const stateRows = [new RowView(backend, stepSize, statesOffset), new RowView(backend, stepSize, statesOffset)];
    views.push(projectionRow, ...stateRows);
    const stepShapeBytes = int32Bytes([1, batchSize, hiddenSize]);
    const weightShapeBytes = int32Bytes([1, hiddenSize, hiddenSize]);
    const doubledSum = int32Bytes([projectionRow.id, projectionRow.id, product]);
    const twiceMinusOne = int32Bytes([product, product, minusOne]);
    const shortest = lengths === undefined ? seqLen : Math.min(...lengths);
    let previous = id(initial);
    let previousOffset = offsetOf(backend, initial);
    readingOrder(seqLen, reverse).forEach((t, index) => {
      const stateOffset = statesOffset + t * stepSize * 4;
      const stateRow = stateRows[index % 2];
      projectionRow.moveTo(projectionOffset + t * stepSize * 4);
      stateRow.moveTo(stateOffset);
      kernels.batchMatMul(previous, stepShapeBytes, 3, weights, weightShapeBytes, 3, false, false, product);
      if (tanh) {
        kernels.addN(doubledSum, 3, FLOAT32, preActivation);
        kernels.sigmoid(preActivation, product);
        kernels.addN(twiceMinusOne, 3, FLOAT32, stateRow.id);
      } else {
        kernels.add(projectionRow.id, stepShapeBytes, 3, product, stepShapeBytes, 3, FLOAT32, preActivation);
        kernels.relu(preActivation, FLOAT32, stateRow.id);
      }
      if (t >= shortest) keepEndedRows(backend, lengths!, t, previousOffset, stateOffset, hiddenSize);
      previous = stateRow.id;
      previousOffset = stateOffset;
    });
  } catch (error) {
    states.dispose();
    throw error;
  } finally {
    views.forEach((view) => view.drop());
    tf.dispose(Object.values(scratch));
  }
  return states;
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
function keepEndedRows(backend: BackendWasm, lengths: Int32Array, t: number, previousOffset: number, stateOffset: number, hiddenSize: number): void {
  const heap = moduleOf(backend).HEAPF32;
  lengths.forEach((length, b) => {
    if (length > t) return;
    const from = previousOffset / 4 + b * hiddenSize;
    heap.copyWithin(stateOffset / 4 + b * hiddenSize, from, from + hiddenSize);
  });
}
