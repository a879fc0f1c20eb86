import { FormatError, formatShape } from '../errors';
import { asBytes } from './bytes';
import { HostArray, hostArray, shapeSize } from './hostArray';

/**
 * NumPy's `.npy` format: the magic `\x93NUMPY`, a major and minor version byte, the header
 * length (u16 little-endian in version 1, u32 in versions 2 and 3), then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (L, N, F), }` padded with spaces and a
 * newline, then the values in C order.
 */

/** The dtypes read and written here, all little-endian. */
export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64';

/** Every dtype read here. */
export const NPY_DTYPES: readonly NpyDtype[] = ['float32', 'float64', 'int32', 'int64'];

/** NumPy's `descr` of each dtype, and bytes per element. */
const DESCRIPTORS: Record<NpyDtype, { descr: string; bytes: number }> = {
  float32: { descr: '<f4', bytes: 4 },
  float64: { descr: '<f8', bytes: 8 },
  int32: { descr: '<i4', bytes: 4 },
  int64: { descr: '<i8', bytes: 8 },
};

const MAGIC = Uint8Array.of(0x93, ...new TextEncoder().encode('NUMPY'));
/** Magic, two version bytes, and the u16 header length of version 1. */
const PREFIX_BYTES = MAGIC.length + 2 + 2;
/** Data starts at a multiple of this, as NumPy writes it. */
const HEADER_ALIGNMENT = 64;

/** Typed arrays share the host's byte order; NumPy's here is little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Random access to the bytes of a file, or of a buffer standing in for one. */
export interface ByteSource {
  /** Total bytes. */
  readonly length: number;
  /** The `length` bytes at `offset`; the caller stays within `[0, this.length)`. */
  read(offset: number, length: number): Uint8Array;
  /** Fills `target` with the bytes at `offset`, without a buffer of its own (a file read straight into it). */
  readInto?(target: Uint8Array, offset: number): void;
}

/** A `ByteSource` over bytes in memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { length: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** What an `.npy` header says, and where its data starts. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the first value. */
  dataOffset: number;
}

/** Bytes per element of `dtype`. */
export function npyItemSize(dtype: NpyDtype): number {
  return DESCRIPTORS[dtype].bytes;
}

/** The dtype `descr` names, or a `FormatError` saying why it is not one of `accepted`. */
function dtypeOf(descr: string, accepted: readonly NpyDtype[], source: string): NpyDtype {
  const expected = `dtype ${accepted.map((dtype) => `${dtype} ('${DESCRIPTORS[dtype].descr}')`).join(' or ')}`;
  const dtype = accepted.find((candidate) => DESCRIPTORS[candidate].descr === descr);
  if (dtype !== undefined) return dtype;
  const littleEndian = accepted.find((candidate) => `>${DESCRIPTORS[candidate].descr.slice(1)}` === descr);
  if (littleEndian !== undefined) throw new FormatError(source, `little-endian ${expected}`, `big-endian '${descr}'`);
  throw new FormatError(source, expected, `'${descr}'`);
}

/** The value of `key` in the header dict, matched by `pattern` (one capture group). */
function headerField(header: string, key: string, pattern: string, source: string): string {
  const match = new RegExp(`'${key}'\\s*:\\s*${pattern}`).exec(header);
  if (match === null) throw new FormatError(source, `an .npy header with '${key}'`, JSON.stringify(header));
  return match[1];
}

/** Parses the dict literal of a header. */
function parseHeaderDict(header: string, accepted: readonly NpyDtype[], source: string): Omit<NpyHeader, 'dataOffset'> {
  if (!/^\{.*\}$/s.test(header.trim())) {
    throw new FormatError(source, 'an .npy header dict {...}', JSON.stringify(header.slice(0, 40)));
  }
  const descr = headerField(header, 'descr', `('[^']*'|\\[)`, source);
  if (descr === '[') throw new FormatError(source, 'a plain dtype', 'a structured dtype');
  const dtype = dtypeOf(descr.slice(1, -1), accepted, source);
  if (headerField(header, 'fortran_order', '(True|False)', source) === 'True') {
    throw new FormatError(source, "C order ('fortran_order': False)", "Fortran order ('fortran_order': True)");
  }
  const dims = headerField(header, 'shape', '\\(([^)]*)\\)', source)
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '');
  const shape = dims.map(Number);
  if (!shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new FormatError(source, 'a shape of non-negative integers', `(${dims.join(', ')})`);
  }
  return { dtype, shape };
}

/**
 * Reads and checks the header of an `.npy` file: magic, version 1–3, a dtype among `accepted`
 * (little-endian), C order, and exactly `product(shape)` values after it. Every problem —
 * bad magic, big-endian, Fortran order, other dtypes, truncation — is a `FormatError` whose
 * argument is `source`.
 */
export function readNpyHeader(file: ByteSource, accepted: readonly NpyDtype[], source: string): NpyHeader {
  if (file.length < PREFIX_BYTES) {
    throw new FormatError(source, `an .npy file of at least ${PREFIX_BYTES} bytes`, `${file.length} bytes`);
  }
  const prefix = file.read(0, Math.min(file.length, PREFIX_BYTES + 2));
  if (!MAGIC.every((byte, i) => prefix[i] === byte)) {
    throw new FormatError(source, 'an .npy file (magic \\x93NUMPY)', `first bytes ${JSON.stringify(String.fromCharCode(...prefix.subarray(0, 6)))}`);
  }
  const major = prefix[MAGIC.length];
  if (major < 1 || major > 3) throw new FormatError(source, '.npy format version 1, 2 or 3', `version ${major}.${prefix[MAGIC.length + 1]}`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (file.length < MAGIC.length + 2 + lengthBytes) throw new FormatError(source, 'a complete .npy header', `${file.length} bytes`);
  const headerLength = major === 1 ? view.getUint16(MAGIC.length + 2, true) : view.getUint32(MAGIC.length + 2, true);
  const headerStart = MAGIC.length + 2 + lengthBytes;
  const dataOffset = headerStart + headerLength;
  if (dataOffset > file.length) {
    throw new FormatError(source, `a header of ${headerLength} bytes within the file`, `a file of ${file.length} bytes`);
  }
  const encoding = major === 3 ? 'utf-8' : 'latin1';
  const { dtype, shape } = parseHeaderDict(new TextDecoder(encoding).decode(file.read(headerStart, headerLength)), accepted, source);
  const dataBytes = shapeSize(shape) * npyItemSize(dtype);
  if (file.length - dataOffset !== dataBytes) {
    const found = file.length - dataOffset < dataBytes ? 'truncated' : 'trailing bytes';
    throw new FormatError(source, `${dataBytes} bytes of data for shape ${formatShape(shape)} ${dtype}`, `${file.length - dataOffset} bytes (${found})`);
  }
  return { dtype, shape, dataOffset };
}

/** Decodes `bytes` holding little-endian values of `dtype` (int64 must be exact in a double). */
export function decodeNpyValues(bytes: Uint8Array, dtype: NpyDtype): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / npyItemSize(dtype);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'float32') values[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'float64') values[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'int32') values[i] = view.getInt32(4 * i, true);
    else values[i] = Number(view.getBigInt64(8 * i, true));
  }
  return values;
}

/** Decodes `bytes` of float32 or float64 values to float32 (float64 rounded to nearest). */
export function decodeNpyFloats(bytes: Uint8Array, dtype: 'float32' | 'float64'): Float32Array {
  if (dtype === 'float32' && HOST_LITTLE_ENDIAN) {
    const values = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  return Float32Array.from(decodeNpyValues(bytes, dtype));
}

/**
 * Reads `target.length` values of a float32 `.npy` from byte `offset` of `bytes` into `target`:
 * straight from the file into it when `bytes` can (no copy in between), else decoded from `read`.
 */
export function readNpyFloat32Into(bytes: ByteSource, offset: number, target: Float32Array): void {
  if (HOST_LITTLE_ENDIAN && bytes.readInto !== undefined) bytes.readInto(new Uint8Array(target.buffer, target.byteOffset, target.byteLength), offset);
  else target.set(decodeNpyFloats(bytes.read(offset, target.byteLength), 'float32'));
}

/** The header of an `.npy` file of `shape` and `dtype`, version 1 (2 when longer than 64 KiB), padded so data starts at a multiple of 64 bytes. */
export function encodeNpyHeader(shape: readonly number[], dtype: NpyDtype = 'float32'): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCRIPTORS[dtype].descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const major = dict.length + 1 + PREFIX_BYTES > 0xffff ? 2 : 1;
  const headerStart = MAGIC.length + 2 + (major === 1 ? 2 : 4);
  const total = Math.ceil((headerStart + dict.length + 1) / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC);
  bytes[MAGIC.length] = major;
  const view = new DataView(bytes.buffer);
  if (major === 1) view.setUint16(MAGIC.length + 2, total - headerStart, true);
  else view.setUint32(MAGIC.length + 2, total - headerStart, true);
  const text = dict.padEnd(total - headerStart - 1, ' ') + '\n';
  bytes.set(new TextEncoder().encode(text), headerStart);
  return bytes;
}

/** Encodes `values` as little-endian `dtype`. */
export function encodeNpyValues(values: ArrayLike<number>, dtype: NpyDtype = 'float32'): Uint8Array {
  if (dtype === 'float32' && HOST_LITTLE_ENDIAN) {
    const floats = values instanceof Float32Array ? values : Float32Array.from(values);
    return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  }
  const bytes = new Uint8Array(values.length * npyItemSize(dtype));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'float32') view.setFloat32(4 * i, values[i], true);
    else if (dtype === 'float64') view.setFloat64(8 * i, values[i], true);
    else if (dtype === 'int32') view.setInt32(4 * i, values[i], true);
    else view.setBigInt64(8 * i, BigInt(values[i]), true);
  }
  return bytes;
}

/** A whole `.npy` file: `values` (C order, `product(shape)` of them) as `dtype`. */
export function serializeNpy(shape: readonly number[], values: ArrayLike<number>, dtype: NpyDtype = 'float32'): Uint8Array {
  if (values.length !== shapeSize(shape)) {
    throw new FormatError('values', `${shapeSize(shape)} values for shape ${formatShape(shape)}`, `${values.length}`);
  }
  const header = encodeNpyHeader(shape, dtype);
  const bytes = new Uint8Array(header.length + values.length * npyItemSize(dtype));
  bytes.set(header);
  bytes.set(encodeNpyValues(values, dtype), header.length);
  return bytes;
}

/**
 * A whole `.npy` file in memory (e.g. fetched) as a float32 array: float32 or float64 values
 * (float64 rounded to nearest), little-endian, C order. Any problem with the bytes is a
 * `FormatError` whose argument is `source`.
 */
export function parseNpy(bytes: Uint8Array | ArrayBuffer, source = 'npy'): HostArray {
  const file = bufferSource(asBytes(bytes, 'bytes'));
  const { dtype, shape, dataOffset } = readNpyHeader(file, ['float32', 'float64'], source);
  return hostArray(shape, decodeNpyFloats(file.read(dataOffset, file.length - dataOffset), dtype as 'float32' | 'float64'), source);
}
