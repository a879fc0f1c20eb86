import * as tf from '@tensorflow/tfjs';
import { BackendWasm, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { Nonlinearity } from '../config';
import { readingOrder } from './hostSteps';

/**
 * `recur`'s forward steps on the wasm backend, calling its kernels (XNNPACK's matMul,
 * sigmoid, …) directly instead of through one tf op each. The kernels read each step of the
 * projection and write each state in place, inside the one `[L, N, H]` output, through
 * tensor ids registered over those rows. Per step this saves the engine's bookkeeping,
 * a fresh output buffer for every op, splitting the projection into steps and stacking
 * the states: together more than the arithmetic itself at `N·H = 32·128`.
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
  tfjs: { disposeData(id: number): void };
}

function moduleOf(backend: BackendWasm): WasmModule {
  return backend.wasm as unknown as WasmModule;
}

/** The C kernels used, as the backend's JS kernels `cwrap` them (ids, shape pointers). */
interface Kernels {
  backend: BackendWasm;
  batchMatMul(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: boolean, transposeB: boolean, outId: number): void;
  add(aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, dtype: number, outId: number): void;
  addN(ids: Uint8Array, count: number, dtype: number, outId: number): void;
  sigmoid(xId: number, outId: number): void;
  relu(xId: number, dtype: number, outId: number): void;
}

let bound: { backend: BackendWasm; kernels: Kernels } | undefined;

/** The wasm kernels of the active backend, or undefined when it is not wasm `KERNELS_VERSION`. */
export function wasmKernels(): Kernels | undefined {
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

/** Tensor ids over rows of existing buffers (no memory of their own), dropped together. */
class Views {
  private readonly dataIds: object[] = [];
  constructor(private readonly backend: BackendWasm) {}

  /** An id for `size` float32 values at byte `offset` of the wasm heap. */
  at(offset: number, shape: number[]): number {
    const { dataId } = this.backend.makeOutput(shape, 'float32', offset);
    this.dataIds.push(dataId);
    return idOf(this.backend, { dataId } as tf.Tensor);
  }

  /** Unregisters every view; the buffers they point into are left alone. */
  drop(): void {
    for (const dataId of this.dataIds) {
      moduleOf(this.backend).tfjs.disposeData(this.backend.dataIdMap.get(dataId)!.id);
      this.backend.dataIdMap.delete(dataId);
    }
  }
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
  kernels: Kernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D,
  recurrentT: tf.Tensor2D,
  { nonlinearity, reverse, lengths }: { nonlinearity: Nonlinearity; reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D {
  const { backend } = kernels;
  const [seqLen, batchSize, hiddenSize] = projection.shape;
  const stepShape = [batchSize, hiddenSize];
  const stepBytes = batchSize * hiddenSize * 4;
  const tanh = nonlinearity === 'tanh';
  const states = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([seqLen, batchSize, hiddenSize], 'float32')) as tf.Tensor3D;
  const views = new Views(backend);
  const scratch = tf.tidy(() => ({
    weights: tanh ? tf.mul(recurrentT, 2) : tf.clone(recurrentT),
    minusOne: tf.fill(stepShape, -1),
    product: tf.zeros(stepShape),
    preActivation: tf.zeros(stepShape),
  }));
  try {
    const id = (tensor: tf.Tensor) => idOf(backend, tensor);
    const stepShapeBytes = int32Bytes([1, batchSize, hiddenSize]);
    const weightShapeBytes = int32Bytes([1, hiddenSize, hiddenSize]);
    const projectionOffset = backend.dataIdMap.get(projection.dataId)!.memoryOffset;
    const outputOffset = backend.dataIdMap.get(states.dataId)!.memoryOffset;
    const [product, preActivation, weights, minusOne] = [scratch.product, scratch.preActivation, scratch.weights, scratch.minusOne].map(id);
    let previous = id(initial);
    let previousOffset = backend.dataIdMap.get(initial.dataId)!.memoryOffset;
    for (const t of readingOrder(seqLen, reverse)) {
      const projectionStep = views.at(projectionOffset + t * stepBytes, stepShape);
      const stateOffset = outputOffset + t * stepBytes;
      const state = views.at(stateOffset, stepShape);
      kernels.batchMatMul(previous, stepShapeBytes, 3, weights, weightShapeBytes, 3, false, false, product);
      if (tanh) {
        kernels.addN(int32Bytes([projectionStep, projectionStep, product]), 3, FLOAT32, preActivation);
        kernels.sigmoid(preActivation, product);
        kernels.addN(int32Bytes([product, product, minusOne]), 3, FLOAT32, state);
      } else {
        kernels.add(projectionStep, stepShapeBytes, 3, product, stepShapeBytes, 3, FLOAT32, preActivation);
        kernels.relu(preActivation, FLOAT32, state);
      }
      if (lengths !== undefined) keepEndedRows(backend, lengths, t, previousOffset, stateOffset, hiddenSize);
      previous = state;
      previousOffset = stateOffset;
    }
  } catch (error) {
    states.dispose();
    throw error;
  } finally {
    views.drop();
    tf.dispose(Object.values(scratch));
  }
  return states;
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
