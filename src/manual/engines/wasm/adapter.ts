import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, version_wasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Everything the wasm engine reads of tfjs-backend-wasm's internals, in one place: the C
 * kernels' signatures (`cwrap`), the emscripten heap, tensor ids and their registration. None
 * of it is public API, so it is used only with the versions `SUPPORTED_WASM_VERSIONS` names;
 * with any other version the wasm engine is off (`wasmKernels()` is undefined), the plan runs
 * those steps as tf ops, and a warning says so once.
 */

/** The tfjs-backend-wasm releases whose internals this adapter was written against and tested with. */
export const SUPPORTED_WASM_VERSIONS = { range: '4.22.x', major: 4, minor: 22 } as const;

/** Whether `version` (`major.minor.patch…`) lies in `SUPPORTED_WASM_VERSIONS`. */
export function supportsWasmVersion(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major === SUPPORTED_WASM_VERSIONS.major && minor === SUPPORTED_WASM_VERSIONS.minor;
}

/** The installed tfjs-backend-wasm, and whether the wasm engine runs with it. */
export function wasmEngineStatus(version: string = version_wasm): { version: string; supported: boolean; range: string } {
  return { version, supported: supportsWasmVersion(version), range: SUPPORTED_WASM_VERSIONS.range };
}

/**
 * Which tfjs-backend-wasm versions get the wasm engine, in a line (for `tfjs-rnn info`, whatever
 * the backend): the installed one, the supported range, and what the others do.
 */
export function describeWasmSupport(status: ReturnType<typeof wasmEngineStatus> = wasmEngineStatus()): string {
  const installed = `${status.version} (${status.supported ? 'kernels called directly' : 'tf ops'})`;
  return `with tfjs-backend-wasm ${status.range} its kernels are called directly, with any other version those steps run as tf ops; installed: ${installed}`;
}

/** Whether the installed tfjs-backend-wasm is supported: decided once, not on every call. */
const INSTALLED_SUPPORTED = supportsWasmVersion(version_wasm);

let fallbackAnnounced = false;

/** Warns, once per process, that an unsupported tfjs-backend-wasm turns the wasm engine off. */
export function announceWasmFallback(version: string, warn: (message: string) => void = console.warn): void {
  if (fallbackAnnounced) return;
  fallbackAnnounced = true;
  warn(
    `tfjs-rnn: @tensorflow/tfjs-backend-wasm ${version} is outside ${SUPPORTED_WASM_VERSIONS.range}, the versions whose ` +
      'kernels it calls directly; on wasm the recurrence runs as tf ops instead (same results within tolerance, slower).',
  );
}

/** The float32 dtype code of the kernels. */
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

/**
 * The wasm kernels of the active backend: undefined unless it is wasm, and then also when
 * the installed tfjs-backend-wasm is outside `SUPPORTED_WASM_VERSIONS` (announced once).
 */
export function wasmKernels(version: string = version_wasm): WasmKernels | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  if (version === version_wasm ? !INSTALLED_SUPPORTED : !supportsWasmVersion(version)) {
    announceWasmFallback(version);
    return undefined;
  }
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

/** The wasm heap as float32, viewed afresh (the memory may have grown since the last view). */
export function heapF32(backend: BackendWasm): Float32Array {
  return moduleOf(backend).HEAPF32;
}

/**
 * Copies a float32 tensor's values straight from the wasm heap into `target` (of its size) and
 * returns true, when the active backend is a supported wasm holding the tensor; false
 * otherwise, copying nothing (the caller reads them with `dataSync`). Unlike `dataSync`, which
 * slices a fresh copy off the heap, this allocates nothing.
 */
export function readFloat32Into(tensor: tf.Tensor, target: Float32Array): boolean {
  const values = tensor.size === target.length ? heapValues(tensor) : undefined;
  if (values === undefined) return false;
  target.set(values);
  return true;
}

/** The backend's id of a tensor's data, as kernels take it. */
export function idOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.id;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: BackendWasm, tensor: tf.Tensor): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/**
 * A float32 tensor's values as a view of the wasm heap, without `dataSync`'s copy: valid
 * until the next tf op (which may move or grow the heap); never to be written. Undefined
 * unless the active backend is wasm with a supported tfjs-backend-wasm (`wasmKernels`).
 */
export function heapValues(tensor: tf.Tensor): Float32Array | undefined {
  const kernels = tensor.dtype === 'float32' ? wasmKernels() : undefined;
  const data = kernels?.backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) return undefined;
  const heap = heapF32(kernels!.backend);
  return new Float32Array(heap.buffer, heap.byteOffset + data.memoryOffset, tensor.size);
}

/** A new float32 tensor of `shape` on the backend, its values uninitialised. */
export function uninitialisedTensor<T extends tf.Tensor>(backend: BackendWasm, shape: number[]): T {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32')) as T;
}

/**
 * A tensor id over `size` float32 values of the wasm heap that belong to another buffer
 * (no memory of its own), which can be moved from row to row: re-registering one id costs
 * less than making a tensor per row.
 */
export class HeapView {
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
