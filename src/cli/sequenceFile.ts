import { extname } from 'path';
import { FormatError, formatShape } from '../errors';
import {
  ByteSource,
  HostArray,
  NpyDtype,
  decodeNpyValues,
  findNpzMember,
  jsonTensor,
  listNpzMembers,
  npyItemSize,
  openNpzMember,
  readNpyFloat32Into,
  readNpyHeader,
  unravelIndex,
} from '../formats';
import { parseJson } from '../formats/json';
import { MAX_JSON_BYTES, openFile, readRegularFile } from '../formats/regularFile';
import { batchGeometry, forEachRun, rowsSize, sliceRows } from './batchRows';
import { UsageError } from './flags';

/**
 * Arrays of sequences on disk (`.npy`, `.npz`, `.json`), read a block of batch rows at a time
 * so that memory is bounded by the block, not the file.
 */

/** An array in a file, read by rows along a batch axis. */
export interface ArraySource {
  /** The file, and the key within an `.npz`: `x.npz[input]`. */
  readonly name: string;
  readonly shape: number[];
  /**
   * Rows `[start, end)` along `batchAxis` (null: the whole array), as float32 in C order: into
   * `block` when given (of exactly that many values), else a new array.
   */
  readRows(batchAxis: number | null, start: number, end: number, block?: Float32Array): Float32Array;
  close(): void;
}

const INPUT_EXTENSIONS = ['.npy', '.npz', '.json'];

/** The lower-case extension of `path`, checked against `accepted`. */
export function extensionOf(path: string, accepted: string[]): string {
  const extension = extname(path).toLowerCase();
  if (!accepted.includes(extension)) {
    throw new FormatError(path, `a file ending in ${accepted.join(', ')}`, extension === '' ? 'no extension' : `'${extension}'`);
  }
  return extension;
}

/** Index of the first value of `values` that is finite but beyond float32's range, or −1. */
function firstFloat32Overflow(values: Float64Array): number {
  return values.findIndex((value) => Number.isFinite(value) && !Number.isFinite(Math.fround(value)));
}

/** Largest integer float32 holds exactly (2^24): token ids are carried as float32 between threads. */
const MAX_EXACT_INTEGER = 2 ** 24;

/** Integer values (token ids), refused where float32 would round them. */
function checkExactIntegers(values: Float64Array, name: string, shape: number[], from: number): Float64Array {
  const bad = values.findIndex((value) => Math.abs(value) > MAX_EXACT_INTEGER);
  if (bad >= 0) {
    throw new FormatError(name, `integers of magnitude at most ${MAX_EXACT_INTEGER}`, `${values[bad]} at ${formatShape(unravelIndex(shape, from + bad))}`);
  }
  return values;
}

/** The dtypes of an array of float features. */
export const FLOAT_DTYPES: readonly NpyDtype[] = ['float32', 'float64'];
/** The dtypes of an array of token ids. */
export const ID_DTYPES: readonly NpyDtype[] = ['int32', 'int64'];

/**
 * An `.npy` array (a file, or a member of an `.npz`) of `dtypes` read by rows; only the bytes of
 * those rows are read. float64 values are rounded to float32; one beyond float32's range is a
 * `FormatError`; int32 and int64 values (token ids) must be exact in float32.
 */
function npySource(name: string, bytes: ByteSource, close: () => void, dtypes: readonly NpyDtype[]): ArraySource {
  const { dtype, shape, dataOffset } = readNpyHeader(bytes, dtypes, name);
  const itemSize = npyItemSize(dtype);
  const decode = (from: number, length: number): ArrayLike<number> => {
    const run = bytes.read(dataOffset + from * itemSize, length * itemSize);
    const values = decodeNpyValues(run, dtype);
    if (dtype === 'int32' || dtype === 'int64') return checkExactIntegers(values, name, shape, from);
    const bad = firstFloat32Overflow(values);
    if (bad >= 0) {
      throw new FormatError(name, 'values float32 can hold (magnitude below 3.4028235e38)', `${values[bad]} at ${formatShape(unravelIndex(shape, from + bad))} (not representable in float32)`);
    }
    return values;
  };
  return {
    name,
    shape,
    readRows(batchAxis, start, end, block = new Float32Array(rowsSize(shape, batchAxis, start, end))) {
      const geometry = batchGeometry(shape, batchAxis);
      forEachRun(geometry, start, end, (from, to, length) => {
        if (dtype === 'float32') readNpyFloat32Into(bytes, dataOffset + from * itemSize, block.subarray(to, to + length));
        else block.set(decode(from, length), to);
      });
      return block;
    },
    close,
  };
}

/** An array held in memory (from `.json`). */
function memorySource(name: string, array: HostArray): ArraySource {
  return {
    name,
    shape: array.shape,
    readRows: (batchAxis, start, end, block) => sliceRows(array.data, batchGeometry(array.shape, batchAxis), start, end, block),
    close: () => undefined,
  };
}

/**
 * Reads a JSON file (at most `MAX_JSON_BYTES`) of nested lists (or `{"shape": [..], "data": [..]}`),
 * naming positions as `name[0][1]`.
 */
function readJsonArray(path: string, name: string): HostArray {
  const parsed = parseJson(readRegularFile(path, MAX_JSON_BYTES).toString('utf8'), path, 'JSON (NaN and Infinity are not JSON)');
  return jsonTensor(parsed, name, path);
}

/**
 * Opens the array in `path`: `.npy` (of `dtypes`: float32 or float64 by default; little-endian, C order), `.npz`
 * (the array `key.value`, or its only array; its CRC checked, a deflated one inflated) or `.json`;
 * `key` (`--input-key`, …) given for any other file is a `UsageError` naming `key.flag`.
 * `role` names the array in messages about JSON positions. Of an `.npy`, nothing but the header
 * is read until `readRows`.
 */
export async function openArraySource(path: string, role: string, key?: { flag: string; value: string }, dtypes: readonly NpyDtype[] = FLOAT_DTYPES): Promise<ArraySource> {
  const extension = extensionOf(path, INPUT_EXTENSIONS);
  if (key !== undefined && extension !== '.npz') {
    throw new UsageError(key.flag, 'an .npz file (it names one of its arrays)', `${path}, a ${extension.slice(1)} file`);
  }
  if (extension === '.json') return memorySource(path, readJsonArray(path, role));
  const file = openFile(path);
  try {
    if (extension === '.npy') return npySource(path, file, file.close, dtypes);
    const member = findNpzMember(listNpzMembers(file, path), key?.value, path);
    return npySource(`${path}[${member.key}]`, await openNpzMember(file, member, path), file.close, dtypes);
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Reads a whole array of integers (`.npy` of `dtypes`, or a JSON list), e.g. sequence lengths. */
export function readIntegerArray(path: string, role: string, dtypes: readonly NpyDtype[]): HostArray & { name: string } {
  const extension = extensionOf(path, ['.npy', '.json']);
  if (extension === '.json') {
    const parsed = parseJson(readRegularFile(path, MAX_JSON_BYTES).toString('utf8'), path, 'JSON (NaN and Infinity are not JSON)');
    // A list of integers: a string or null in it is named as what it is not, an integer.
    const list: unknown[] = Array.isArray(parsed) ? parsed : [];
    const bad = list.findIndex((value) => typeof value !== 'number' && !Array.isArray(value));
    if (bad >= 0) throw new FormatError(path, `an integer at ${role}[${bad}]`, JSON.stringify(list[bad]) ?? String(list[bad]));
    return { name: path, ...jsonTensor(parsed, role, path) };
  }
  const file = openFile(path);
  try {
    const { dtype, shape, dataOffset } = readNpyHeader(file, dtypes, path);
    const values = decodeNpyValues(file.read(dataOffset, file.length - dataOffset), dtype);
    return { name: path, shape, data: Float32Array.from(values) };
  } finally {
    file.close();
  }
}
