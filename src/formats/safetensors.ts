import { FormatError, formatShape } from '../errors';
import { decodeBfloat16, decodeFloat16 } from './floatBits';
import { HostArray, hostArray, isShape, shapeSize } from './hostArray';
import { isPlainObject } from './isPlainObject';
import { parseJson } from './json';

/**
 * The safetensors format: an 8-byte little-endian u64 header length `N`, `N` bytes of UTF-8
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}`, then the
 * data buffer, which `data_offsets` index.
 */

/** A parsed safetensors file: every tensor as float32, and the string-to-string metadata. */
export interface Safetensors {
  tensors: Record<string, HostArray>;
  metadata: Record<string, string>;
}

/** How one supported dtype is stored: bytes per element and a little-endian reader. */
interface DtypeLayout {
  bytes: number;
  read: (view: DataView, offset: number) => number;
}

const DTYPES = new Map<string, DtypeLayout>([
  ['F32', { bytes: 4, read: (view, offset) => view.getFloat32(offset, true) }],
  ['F64', { bytes: 8, read: (view, offset) => view.getFloat64(offset, true) }],
  ['F16', { bytes: 2, read: (view, offset) => decodeFloat16(view.getUint16(offset, true)) }],
  ['BF16', { bytes: 2, read: (view, offset) => decodeBfloat16(view.getUint16(offset, true)) }],
]);

const SUPPORTED_DTYPES = [...DTYPES.keys()].join(', ');
/** Bytes per element of the one dtype `serializeSafetensors` writes. */
const F32_BYTES = 4;
const HEADER_LENGTH_BYTES = 8;
const METADATA_KEY = '__metadata__';

/** Largest JSON header read, as the safetensors library allows. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Reads the JSON header; returns it and the data buffer that follows it. */
function splitHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; data: Uint8Array } {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new FormatError(source, 'at least 8 bytes (the u64 header length)', `${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  const available = bytes.length - HEADER_LENGTH_BYTES;
  if (headerLength > BigInt(available)) {
    throw new FormatError(source, `a header length of at most ${available} bytes (the rest of the file)`, `${headerLength}`);
  }
  if (headerLength > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new FormatError(source, `a header length of at most ${MAX_SAFETENSORS_HEADER_BYTES} bytes (as the safetensors library reads)`, `${headerLength}`);
  }
  const headerEnd = HEADER_LENGTH_BYTES + Number(headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_LENGTH_BYTES, headerEnd));
  } catch (error) {
    throw new FormatError(source, 'a UTF-8 JSON header', `invalid JSON (${(error as Error).message})`);
  }
  const header = parseJson(text, source, 'a UTF-8 JSON header');
  if (!isPlainObject(header)) {
    throw new FormatError(source, 'a JSON object header', JSON.stringify(header));
  }
  return { header, data: bytes.subarray(headerEnd) };
}

function checkMetadata(metadata: unknown, source: string): Record<string, string> {
  if (metadata === undefined) return {};
  if (!isPlainObject(metadata) || !Object.values(metadata).every((value) => typeof value === 'string')) {
    throw new FormatError(source, `${METADATA_KEY} to map strings to strings`, JSON.stringify(metadata));
  }
  return metadata as Record<string, string>;
}

/** One header entry, checked: where its bytes are in the data buffer and how to read them. */
interface TensorEntry {
  name: string;
  layout: DtypeLayout;
  shape: number[];
  begin: number;
  end: number;
}

/** Checks one header entry against the data buffer of `dataLength` bytes. */
function checkEntry(name: string, entry: unknown, dataLength: number, source: string): TensorEntry {
  const tensor = `tensor '${name}'`;
  if (!isPlainObject(entry)) {
    throw new FormatError(source, `${tensor} to be an object with dtype, shape and data_offsets`, JSON.stringify(entry));
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  const layout = typeof dtype === 'string' ? DTYPES.get(dtype) : undefined;
  if (layout === undefined) {
    throw new FormatError(source, `${tensor} dtype to be one of ${SUPPORTED_DTYPES}`, JSON.stringify(dtype));
  }
  if (!isShape(shape)) {
    throw new FormatError(source, `${tensor} shape to be a list of non-negative integers`, JSON.stringify(shape));
  }
  if (!isShape(offsets) || offsets.length !== 2 || offsets[0] > offsets[1] || offsets[1] > dataLength) {
    throw new FormatError(
      source,
      `${tensor} data_offsets [begin, end] with 0 <= begin <= end <= ${dataLength} (the data buffer)`,
      JSON.stringify(offsets),
    );
  }
  const [begin, end] = offsets;
  const size = shapeSize(shape);
  if (end - begin !== size * layout.bytes) {
    throw new FormatError(
      source,
      `${tensor} data_offsets to span ${size * layout.bytes} bytes (shape ${formatShape(shape)} × ${layout.bytes} bytes of ${dtype})`,
      `${end - begin} bytes`,
    );
  }
  return { name, layout, shape, begin, end };
}

/**
 * Checks that the tensors fill the data buffer back to back, as the safetensors format
 * requires: in the order of their offsets each begins where the one before ends, the first at
 * 0, the last at the end of the buffer. No two share bytes, and no byte belongs to none.
 */
function checkTiling(entries: TensorEntry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: TensorEntry | undefined;
  for (const entry of sorted) {
    const start = previous?.end ?? 0;
    if (entry.begin !== start) {
      const found = entry.begin < start ? `bytes shared with tensor '${previous?.name}'` : `a gap of ${entry.begin - start} bytes before it`;
      throw new FormatError(source, `tensor '${entry.name}' data_offsets to begin at ${start}, where the tensor before it ends`, `[${entry.begin},${entry.end}]: ${found}`);
    }
    previous = entry;
  }
  const end = previous?.end ?? 0;
  if (end !== dataLength) {
    throw new FormatError(source, `tensors that fill the data buffer of ${dataLength} bytes`, `${dataLength - end} bytes after the last tensor`);
  }
}

/** Decodes a checked entry to float32. */
function readTensor({ name, layout, shape, begin, end }: TensorEntry, data: Uint8Array): HostArray {
  const view = new DataView(data.buffer, data.byteOffset + begin, end - begin);
  const values = new Float32Array(shapeSize(shape));
  for (let i = 0; i < values.length; i++) values[i] = layout.read(view, i * layout.bytes);
  return hostArray(shape, values, name);
}

/**
 * Parses a safetensors file. F32, F64, F16 and BF16 tensors are converted to float32; any
 * other dtype, and any inconsistency (tensors overlapping, or not filling the data buffer
 * exactly), is a `FormatError` whose argument is `source`.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): Safetensors {
  const { header, data } = splitHeader(bytes, source);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => checkEntry(name, entry, data.length, source));
  checkTiling(entries, data.length, source);
  const metadata = checkMetadata(header[METADATA_KEY], source);
  return { tensors: Object.fromEntries(entries.map((entry) => [entry.name, readTensor(entry, data)])), metadata };
}

/** The UTF-8 JSON header of `tensors` stored as F32 one after another, padded with spaces to a multiple of 8 bytes. */
function encodeHeader(tensors: [string, HostArray][], metadata: Record<string, string> | undefined): Uint8Array {
  const entries: [string, unknown][] = metadata === undefined ? [] : [[METADATA_KEY, metadata]];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const end = offset + tensor.data.length * F32_BYTES;
    entries.push([name, { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, end] }]);
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(entries)));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

/**
 * Writes `tensors` as a safetensors file of F32 tensors, in the order of `tensors`' keys, with
 * `metadata` as `__metadata__` when given.
 */
export function serializeSafetensors(tensors: Record<string, HostArray>, metadata?: Record<string, string>): Uint8Array {
  const entries = Object.entries(tensors).map(([name, tensor]): [string, HostArray] => {
    if (name === METADATA_KEY) {
      throw new FormatError('tensors', `names other than ${METADATA_KEY}`, `'${name}'`);
    }
    return [name, hostArray(tensor.shape, tensor.data, name)];
  });
  if (metadata !== undefined) checkMetadata(metadata, 'metadata');
  const header = encodeHeader(entries, metadata);
  const dataLength = entries.reduce((total, [, tensor]) => total + tensor.data.length * F32_BYTES, 0);
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + header.length + dataLength);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, HEADER_LENGTH_BYTES);
  let offset = HEADER_LENGTH_BYTES + header.length;
  for (const [, tensor] of entries) {
    for (const value of tensor.data) {
      view.setFloat32(offset, value, true);
      offset += F32_BYTES;
    }
  }
  return bytes;
}
