import { FormatError, formatShape } from '../errors';
import { PickleCallable, PickleHooks, RefusedGlobal, describeKind, isTuple, tuple } from './pickle';

/**
 * The allowlist of `torch.save`'s pickle (`data.pkl`): what a state_dict or a checkpoint needs,
 * and nothing else. GLOBALs resolve only to these, each a value or a function written here:
 *
 * - `collections.OrderedDict` (called with no arguments: an empty `Map`), `set` (a `Set`),
 * - `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 *   backward_hooks[, metadata])` and `torch._utils._rebuild_parameter(data, requires_grad,
 *   backward_hooks)`: a `TorchTensor`, a view into a storage, checked against its bounds,
 * - the typed storage classes (`torch.FloatStorage`, …) and dtypes (`torch.float32`, …), as values,
 * - `torch.Size(tuple)`, a tuple, and `_codecs.encode(str, 'latin1')`, bytes (protocol 2's bytes),
 *
 * and persistent ids `('storage', storage class, key, location, numel)` are storages (the
 * archive's `data/<key>`), at locations `cpu`, `cuda[:N]` or `mps`, all read as CPU.
 */

/** PyTorch's name of a storage's element type. */
export type TorchDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'complex64'
  | 'complex128'
  | 'qint8'
  | 'quint8'
  | 'qint32'
  | 'quint4x2'
  | 'quint2x4';

/** A storage class of the allowlist (`torch.FloatStorage`), as GLOBAL gives it. */
export class TorchStorageType {
  constructor(
    readonly name: string,
    readonly dtype: TorchDtype,
    /** Bytes per element. */
    readonly itemSize: number,
  ) {}
}

/** The storage classes `torch.save` names in persistent ids (`torch.UntypedStorage`'s elements are bytes). */
export const STORAGE_TYPES = new Map<string, TorchStorageType>(
  (
    [
      ['FloatStorage', 'float32', 4],
      ['DoubleStorage', 'float64', 8],
      ['HalfStorage', 'float16', 2],
      ['BFloat16Storage', 'bfloat16', 2],
      ['LongStorage', 'int64', 8],
      ['IntStorage', 'int32', 4],
      ['ShortStorage', 'int16', 2],
      ['CharStorage', 'int8', 1],
      ['ByteStorage', 'uint8', 1],
      ['BoolStorage', 'bool', 1],
      ['ComplexFloatStorage', 'complex64', 8],
      ['ComplexDoubleStorage', 'complex128', 16],
      ['QInt8Storage', 'qint8', 1],
      ['QUInt8Storage', 'quint8', 1],
      ['QInt32Storage', 'qint32', 4],
      ['QUInt4x2Storage', 'quint4x2', 1],
      ['QUInt2x4Storage', 'quint2x4', 1],
      ['UntypedStorage', 'uint8', 1],
    ] as const
  ).map(([name, dtype, itemSize]) => [name, new TorchStorageType(`torch.${name}`, dtype, itemSize)]),
);

/** A dtype as a value (`torch.float32` in a checkpoint). */
export class TorchDtypeValue {
  constructor(readonly name: string) {}
}

const DTYPE_NAMES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex32', 'complex64', 'complex128'];

/** One storage of the archive, as a persistent id declares it: `numel` elements of `type` in record `data/<key>`. */
export class TorchStorage {
  constructor(
    readonly key: string,
    readonly type: TorchStorageType,
    readonly location: string,
    readonly numel: number,
  ) {}

  get bytes(): number {
    return this.numel * this.type.itemSize;
  }
}

/** A tensor: a view of `shape` and `stride` (in elements) from element `offset` of `storage`, checked to lie within it. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  /** Number of elements: the product of the shape. */
  get numel(): number {
    return this.shape.reduce((size, dim) => size * dim, 1);
  }
}

/** Storage locations read (as CPU): `cpu`, `cuda`, `cuda:N`, `mps`. */
const LOCATION = /^(cpu|cuda(:\d+)?|mps)$/;

/** What a state_dict's pickle may reference, for messages. */
export const ALLOWED_GLOBALS = 'collections.OrderedDict, set, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch storage classes, dtypes, torch.Size, _codecs.encode';

/** The allowlist, and the storages the pickle declared, for one archive. */
export interface TorchPickle {
  hooks: PickleHooks;
  /** Every storage a persistent id declared, by key. */
  storages: Map<string, TorchStorage[]>;
}

/** Whether `state`, what BUILD gives an object, is an `nn.Module`'s `__dict__`. */
function isModuleState(state: unknown): boolean {
  return state instanceof Map && (state.has('_parameters') || state.has('_modules'));
}

/** The allowlist and persistent loads of `torch.save`'s pickle; errors name `source`. */
export function torchPickle(source: string): TorchPickle {
  const storages = new Map<string, TorchStorage[]>();
  const fail = (expected: string, actual: string) => new FormatError(source, expected, actual);

  /** `value` as a non-negative safe integer named `what`. */
  const count = (value: unknown, what: string): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw fail(`${what} to be a non-negative integer`, describeKind(value));
    return value;
  };
  const counts = (value: unknown, what: string): number[] => {
    if (!isTuple(value)) throw fail(`${what} to be a tuple`, describeKind(value));
    return value.map((item, i) => count(item, `${what}[${i}]`));
  };

  const rebuildTensor = (args: readonly unknown[]): TorchTensor => {
    const [storage, offset, size, stride, requiresGrad] = args;
    const where = 'torch._utils._rebuild_tensor_v2';
    if (args.length < 6 || args.length > 7) throw fail(`${where} with 6 or 7 arguments`, `${args.length}`);
    if (!(storage instanceof TorchStorage)) throw fail(`${where}'s first argument to be a storage`, describeKind(storage));
    if (typeof requiresGrad !== 'boolean') throw fail(`${where}'s requires_grad to be a bool`, describeKind(requiresGrad));
    const tensor = new TorchTensor(storage, count(offset, 'storage_offset'), counts(size, 'size'), counts(stride, 'stride'));
    checkBounds(tensor, fail);
    return tensor;
  };

  const globals = new Map<string, unknown>([
    ['collections.OrderedDict', new PickleCallable('collections.OrderedDict', (args) => {
      if (args.length !== 0) throw fail('collections.OrderedDict() without arguments', `${args.length} arguments`);
      return new Map();
    })],
    ['torch._utils._rebuild_tensor_v2', new PickleCallable('torch._utils._rebuild_tensor_v2', rebuildTensor)],
    ['torch._utils._rebuild_parameter', new PickleCallable('torch._utils._rebuild_parameter', (args) => {
      if (args.length !== 3 || !(args[0] instanceof TorchTensor)) throw fail('torch._utils._rebuild_parameter(tensor, requires_grad, hooks)', `${args.length} arguments`);
      return args[0];
    })],
    ...['builtins.set', '__builtin__.set'].map((name): [string, unknown] => [name, new PickleCallable(name, (args) => {
      if (args.length > 1 || (args.length === 1 && !Array.isArray(args[0]))) throw fail(`${name}() or ${name}(list)`, `${args.length} arguments`);
      return new Set(args[0] as unknown[] | undefined);
    })]),
    ['torch.Size', new PickleCallable('torch.Size', (args) => tuple(counts(args[0], 'torch.Size')))],
    ['_codecs.encode', new PickleCallable('_codecs.encode', ([text, encoding]) => {
      if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) throw fail("_codecs.encode(str, 'latin1')", `${describeKind(text)}, ${describeKind(encoding)}`);
      if (/[^\u0000-\u00ff]/.test(text)) throw fail('latin-1 text for _codecs.encode', 'a character beyond U+00FF');
      return Uint8Array.from(text, (char) => char.charCodeAt(0));
    })],
    ...[...STORAGE_TYPES.values()].map((type): [string, unknown] => [type.name, type]),
    ...DTYPE_NAMES.map((name): [string, unknown] => [`torch.${name}`, new TorchDtypeValue(name)]),
  ]);

  const persistentLoad = (pid: unknown): TorchStorage => {
    const expected = "a persistent id ('storage', storage class, key, location, numel)";
    if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') throw fail(expected, describeKind(pid));
    const [, type, key, location, numel] = pid;
    if (!(type instanceof TorchStorageType)) throw fail(`${expected} with a storage class`, describeKind(type));
    if (typeof key !== 'string' || !/^\w+$/.test(key)) throw fail(`${expected} with a key of letters, digits and _`, describeKind(key));
    if (typeof location !== 'string' || !LOCATION.test(location)) {
      throw fail(`storage '${key}' at location cpu, cuda, cuda:N or mps`, typeof location === 'string' ? `'${location.slice(0, 40)}'` : describeKind(location));
    }
    const storage = new TorchStorage(key, type, location, count(numel, `storage '${key}' numel`));
    const declared = storages.get(key) ?? [];
    // torch.save refuses to write one storage as two types, and torch.load would read it as the first.
    const retyped = declared.find((other) => other.type !== type);
    if (retyped !== undefined) throw fail(`storage '${key}' of one type, as declared before (${retyped.type.name})`, type.name);
    if (!Number.isSafeInteger(storage.bytes) || (declared.length > 0 && declared[0].bytes !== storage.bytes)) {
      throw fail(`storage '${key}' of ${declared[0]?.bytes ?? 'at most 2^53'} bytes, as declared before`, `${storage.bytes} bytes`);
    }
    const same = declared.find((other) => other.type === type);
    if (same !== undefined) return same;
    declared.push(storage);
    storages.set(key, declared);
    return storage;
  };

  const refuse = (global: RefusedGlobal, state?: unknown): FormatError => {
    if (isModuleState(state)) {
      return fail(
        'a state_dict (torch.save(model.state_dict(), path))',
        `a whole pickled nn.Module (${global.name}); load it in Python and save model.state_dict() instead`,
      );
    }
    return fail(`only the globals a state_dict needs (${ALLOWED_GLOBALS})`, `the global ${global.name}, which is never resolved or called`);
  };

  return { hooks: { global: (module, name) => globals.get(`${module}.${name}`), persistentLoad, refuse }, storages };
}

/** Throws unless every element of `tensor` lies within its storage: strides of its rank, and `offset + Σ (size_i − 1)·stride_i < numel`. */
function checkBounds(tensor: TorchTensor, fail: (expected: string, actual: string) => FormatError): void {
  const { storage, offset, shape, stride } = tensor;
  if (stride.length !== shape.length) throw fail(`a stride for each of the ${shape.length} dimensions`, formatShape(stride));
  if (shape.some((dim) => dim === 0)) return;
  let last = offset;
  shape.forEach((dim, axis) => (last += (dim - 1) * stride[axis]));
  if (!Number.isSafeInteger(last) || last >= storage.numel) {
    throw fail(
      `a view within storage '${storage.key}' of ${storage.numel} elements`,
      `size ${formatShape(shape)}, stride ${formatShape(stride)} from offset ${offset}, reaching element ${last}`,
    );
  }
}
