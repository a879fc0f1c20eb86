import { HostArray, hostArray } from './hostArray';
import { encodeNpyValues } from './npy';
import { ZipMember, serializeZip } from './zip';

/**
 * Writes a state_dict as `torch.save(state_dict, path)` does in PyTorch 2.x, so that
 * `torch.load(path, weights_only=True)` (PyTorch ≥ 1.13) gives an `OrderedDict` of float32
 * tensors in the same order: `archive/data.pkl` (pickle protocol 2, only the opcodes
 * PyTorch 1.13's weights-only unpickler knows), `archive/data/<i>` (each tensor's own storage,
 * little-endian float32, starting at a multiple of 64 bytes), `archive/byteorder`,
 * `archive/.format_version`, `archive/.storage_alignment` and `archive/version`.
 */

/** Data in the archive starts at multiples of this, as PyTorch 2.x writes it. */
export const TORCH_STORAGE_ALIGNMENT = 64;
/** The folder of every member: PyTorch names it after the file, or `archive`; readers take it from the first member. */
const FOLDER = 'archive';
/** `archive/version`: the serialization version PyTorch ≥ 1.6 writes for `torch.save`. */
const VERSION = '3\n';

/** The opcodes written: a subset of protocol 2. */
const OP = {
  PROTO: 0x80,
  GLOBAL: 0x63,
  EMPTY_TUPLE: 0x29,
  MARK: 0x28,
  TUPLE: 0x74,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BININT: 0x4a,
  LONG1: 0x8a,
  BINPERSID: 0x51,
  NEWFALSE: 0x89,
  SETITEMS: 0x75,
  STOP: 0x2e,
};

/** Appends pickle opcodes to a growing list of byte runs. */
class PickleWriter {
  private readonly parts: Uint8Array[] = [];

  op(...bytes: number[]): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }

  global(module: string, name: string): this {
    this.parts.push(Uint8Array.of(OP.GLOBAL), new TextEncoder().encode(`${module}\n${name}\n`));
    return this;
  }

  string(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    const header = new Uint8Array(5);
    header[0] = OP.BINUNICODE;
    new DataView(header.buffer).setUint32(1, utf8.length, true);
    this.parts.push(header, utf8);
    return this;
  }

  /** A non-negative integer in the shortest of BININT1, BININT2, BININT and LONG1 (8 bytes). */
  int(value: number): this {
    if (value < 0x100) return this.op(OP.BININT1, value);
    if (value < 0x10000) return this.op(OP.BININT2, value & 0xff, value >> 8);
    const bytes = new Uint8Array(9);
    const view = new DataView(bytes.buffer);
    if (value < 0x80000000) {
      bytes[0] = OP.BININT;
      view.setInt32(1, value, true);
      this.parts.push(bytes.subarray(0, 5));
    } else {
      this.parts.push(Uint8Array.of(OP.LONG1, 8));
      view.setBigInt64(0, BigInt(value), true);
      this.parts.push(bytes.subarray(0, 8));
    }
    return this;
  }

  tuple(values: number[]): this {
    this.op(OP.MARK);
    values.forEach((value) => this.int(value));
    return this.op(OP.TUPLE);
  }

  bytes(): Uint8Array {
    const total = this.parts.reduce((length, part) => length + part.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of this.parts) {
      bytes.set(part, at);
      at += part.length;
    }
    return bytes;
  }
}

/** C-order strides of `shape`, in elements. */
function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

/**
 * The pickle of `OrderedDict([(name, tensor), …])`, each tensor
 * `_rebuild_tensor_v2(storage i, 0, shape, strides, False, OrderedDict())` of storage
 * `('storage', torch.FloatStorage, 'i', 'cpu', numel)`.
 */
function statePickle(tensors: [string, HostArray][]): Uint8Array {
  const pickle = new PickleWriter().op(OP.PROTO, 2).global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE, OP.MARK);
  tensors.forEach(([name, { shape, data }], i) => {
    pickle.string(name).global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK, OP.MARK);
    pickle.string('storage').global('torch', 'FloatStorage').string(String(i)).string('cpu').int(data.length).op(OP.TUPLE, OP.BINPERSID);
    pickle.int(0).tuple(shape).tuple(contiguousStrides(shape)).op(OP.NEWFALSE);
    pickle.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE, OP.REDUCE);
  });
  return pickle.op(OP.SETITEMS, OP.STOP).bytes();
}

/** The bytes of a `torch.save` file holding `tensors` as float32, in their key order. */
export function serializeTorchFile(tensors: Record<string, HostArray>): Uint8Array {
  const entries = Object.entries(tensors).map(([name, tensor]): [string, HostArray] => [name, hostArray(tensor.shape, tensor.data, name)]);
  const text = (value: string) => new TextEncoder().encode(value);
  const members: ZipMember[] = [
    { name: `${FOLDER}/data.pkl`, data: statePickle(entries) },
    { name: `${FOLDER}/.format_version`, data: text('1') },
    { name: `${FOLDER}/.storage_alignment`, data: text(String(TORCH_STORAGE_ALIGNMENT)) },
    { name: `${FOLDER}/byteorder`, data: text('little') },
    ...entries.map(([, { data }], i) => ({ name: `${FOLDER}/data/${i}`, data: encodeNpyValues(data, 'float32') })),
    { name: `${FOLDER}/version`, data: text(VERSION) },
  ];
  return serializeZip(members, TORCH_STORAGE_ALIGNMENT);
}
