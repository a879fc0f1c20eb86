import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'fs';
import { extname } from 'path';
import { FormatError } from '../errors';
import {
  ByteSource,
  HostArray,
  NpyDtype,
  decodeNpyFloats,
  decodeNpyValues,
  findNpzMember,
  listNpzMembers,
  npyItemSize,
  openNpzMember,
  parseStateDictJson,
  readNpyHeader,
} from '../formats';
import { batchGeometry, forEachRun, sliceRows } from './batchRows';
import { unreadable } from './readFile';

/**
 * Arrays of sequences on disk (`.npy`, `.npz`, `.json`), read a block of batch rows at a time
 * so that memory is bounded by the block, not the file.
 */

/** An array in a file, read by rows along a batch axis. */
export interface ArraySource {
  /** The file, and the key within an `.npz`: `x.npz[input]`. */
  readonly name: string;
  readonly shape: number[];
  /** Rows `[start, end)` along `batchAxis` (null: the whole array), as float32 in C order. */
  readRows(batchAxis: number | null, start: number, end: number): Float32Array;
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

/** A file open for random access: `readInto` fills `target` from byte `offset` (no allocation); `close` releases it. */
export interface OpenFile extends ByteSource {
  readInto(target: Uint8Array, offset: number): void;
  close(): void;
}

/** Random access to a file through one descriptor. */
export function openFile(path: string): OpenFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  const length = fstatSync(fd).size;
  const readInto = (target: Uint8Array, offset: number): void => {
    for (let done = 0; done < target.length; ) {
      const read = readSync(fd, target, done, target.length - done, offset + done);
      if (read === 0) throw new FormatError(path, `${target.length} bytes at byte ${offset}`, 'the end of the file');
      done += read;
    }
  };
  return {
    length,
    read(offset, count) {
      const bytes = new Uint8Array(count);
      readInto(bytes, offset);
      return bytes;
    },
    readInto,
    close: () => closeSync(fd),
  };
}

/** An `.npy` array (a file, or a member of an `.npz`) read by rows; only the bytes of those rows are read. */
function npySource(name: string, bytes: ByteSource, close: () => void): ArraySource {
  const { dtype, shape, dataOffset } = readNpyHeader(bytes, ['float32', 'float64'], name);
  const itemSize = npyItemSize(dtype);
  return {
    name,
    shape,
    readRows(batchAxis, start, end) {
      const geometry = batchGeometry(shape, batchAxis);
      const block = new Float32Array(geometry.outer * (end - start) * geometry.inner);
      forEachRun(geometry, start, end, (from, to, length) => {
        block.set(decodeNpyFloats(bytes.read(dataOffset + from * itemSize, length * itemSize), dtype as 'float32' | 'float64'), to);
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
    readRows: (batchAxis, start, end) => sliceRows(array.data, batchGeometry(array.shape, batchAxis), start, end),
    close: () => undefined,
  };
}

/** Reads a JSON file of nested lists (or `{"shape": [..], "data": [..]}`), naming positions as `name[0][1]`. */
function readJsonArray(path: string, name: string): HostArray {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  const parsed = parseStateDictJson(`{${JSON.stringify(name)}: ${text}\n}`, path);
  if (Object.keys(parsed).length !== 1) throw new FormatError(path, 'one JSON array', 'more than one value');
  return parsed[name];
}

/**
 * Opens the array in `path`: `.npy` (float32 or float64, little-endian, C order), `.npz`
 * (the array `key`, or its only array) or `.json`. `role` names the array in messages about
 * JSON positions. Nothing but the header is read until `readRows`.
 */
export function openArraySource(path: string, role: string, key?: string): ArraySource {
  const extension = extensionOf(path, INPUT_EXTENSIONS);
  if (extension === '.json') return memorySource(path, readJsonArray(path, role));
  const file = openFile(path);
  try {
    if (extension === '.npy') return npySource(path, file, file.close);
    const member = findNpzMember(listNpzMembers(file, path), key, path);
    return npySource(`${path}[${member.key}]`, openNpzMember(file, member, path), file.close);
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Reads a whole array of integers (`.npy` of `dtypes`, or a JSON list), e.g. sequence lengths. */
export function readIntegerArray(path: string, role: string, dtypes: readonly NpyDtype[]): HostArray & { name: string } {
  const extension = extensionOf(path, ['.npy', '.json']);
  if (extension === '.json') return { name: path, ...readJsonArray(path, role) };
  const file = openFile(path);
  try {
    const { dtype, shape, dataOffset } = readNpyHeader(file, dtypes, path);
    const values = decodeNpyValues(file.read(dataOffset, file.length - dataOffset), dtype);
    return { name: path, shape, data: Float32Array.from(values) };
  } finally {
    file.close();
  }
}
