import { FormatError, formatShape } from '../errors';
import { HostArray, firstNonFinite, hostArray, isShape, shapeSize, unravelIndex } from './hostArray';
import { isPlainObject } from './isPlainObject';
import { parseJson } from './json';
import { nestedJsonPieces } from './nestedJson';

/**
 * A `state_dict` as JSON, the way PyTorch users write it:
 * `json.dump({k: v.tolist() for k, v in rnn.state_dict().items()}, f)` gives
 * `{"weight_ih_l0": [[..], ..], "bias_ih_l0": [..]}`. Each value may also be the object form
 * `{"shape": [H, I], "data": [flat values in C order]}`.
 */

/** At most 40 characters of `value`'s JSON. */
function describeJson(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/** A list as `a list of length 2`, a number as itself, anything else as `describeJson`. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return `a list of length ${value.length}`;
  if (typeof value === 'number') return String(value);
  return describeJson(value);
}

/**
 * `value` if it is a number float32 can hold finitely; otherwise a `FormatError` naming its
 * position, `${list}[${index}]` (or `list` alone when `index` is undefined).
 */
function checkNumber(value: unknown, source: string, list: string, index?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(Math.fround(value))) {
    const position = index === undefined ? list : `${list}[${index}]`;
    const overflows = typeof value === 'number' && Number.isFinite(value);
    throw new FormatError(source, `a finite float32 number at ${position}`, overflows ? `${value} (not representable in float32)` : describe(value));
  }
  return value;
}

/**
 * Reads a nested list of rank >= 1 whose shape is given by its first elements
 * (`value[0][0]…`), checking that every sublist has that length.
 */
function readNested(value: unknown[], key: string, source: string): HostArray {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const data = new Float32Array(shapeSize(shape));
  let next = 0;
  const visit = (node: unknown, depth: number, position: string): void => {
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const reference = key + '[0]'.repeat(depth);
      throw new FormatError(source, `${position} to be a list of length ${shape[depth]} like ${reference}`, describe(node));
    }
    if (depth === shape.length - 1) {
      node.forEach((leaf, i) => (data[next++] = checkNumber(leaf, source, position, i)));
    } else {
      node.forEach((child, i) => visit(child, depth + 1, `${position}[${i}]`));
    }
  };
  visit(value, 0, key);
  return hostArray(shape, data, key);
}

/** Reads the object form `{"shape": [..], "data": [flat values]}`. */
function readShapeAndData(value: Record<string, unknown>, key: string, source: string): HostArray {
  const { shape, data } = value;
  if (!isShape(shape)) {
    throw new FormatError(source, `${key}.shape to be a list of non-negative integers`, describeJson(shape));
  }
  const size = shapeSize(shape);
  if (!Array.isArray(data) || data.length !== size) {
    throw new FormatError(source, `${key}.data to be a flat list of ${size} numbers (shape ${formatShape(shape)})`, describe(data));
  }
  const values = Float32Array.from(data, (entry: unknown, i) => checkNumber(entry, source, `${key}.data`, i));
  return hostArray(shape, values, key);
}

/**
 * One tensor of a JSON value: nested lists, a number, or `{"shape": [..], "data": [..]}`;
 * positions in messages start from `key` (`input[0][1]`).
 */
export function jsonTensor(value: unknown, key: string, source: string): HostArray {
  if (typeof value === 'number') return hostArray([], Float32Array.of(checkNumber(value, source, key)), key);
  if (Array.isArray(value)) return readNested(value, key, source);
  if (isPlainObject(value) && 'shape' in value && 'data' in value) return readShapeAndData(value, key, source);
  throw new FormatError(source, `${key} to be a nested list of numbers or {"shape": [..], "data": [..]}`, describe(value));
}

/** A top-level key holding file metadata (as safetensors' header does), not a tensor. */
const METADATA_KEY = '__metadata__';

/** The tensors of a parsed JSON `state_dict`, skipping a top-level `__metadata__`. */
export function jsonStateDict(parsed: unknown, source: string): Record<string, HostArray> {
  if (!isPlainObject(parsed)) {
    throw new FormatError(source, 'a JSON object mapping parameter names to values', describe(parsed));
  }
  return Object.fromEntries(
    Object.entries(parsed)
      .filter(([key]) => key !== METADATA_KEY)
      .map(([key, value]) => [key, jsonTensor(value, key, source)]),
  );
}

/**
 * Parses a JSON `state_dict`, skipping a top-level `__metadata__`; every problem is a
 * `FormatError` whose argument is `source`.
 */
export function parseStateDictJson(text: string, source = 'json'): Record<string, HostArray> {
  return jsonStateDict(parseJson(text, source, 'JSON (NaN and Infinity are not JSON)'), source);
}

/** Throws when `data` of the tensor `key` holds NaN or ±Infinity, naming the first one's position (`key[0][3]`). */
function checkFinite(key: string, shape: readonly number[], data: Float32Array): void {
  const bad = firstNonFinite(data);
  if (bad >= 0) {
    const position = unravelIndex(shape, bad).map((index) => `[${index}]`).join('');
    throw new FormatError(`${key}${position}`, 'finite values (JSON has no NaN or Infinity)', String(data[bad]));
  }
}

/**
 * `tensors` as JSON of nested lists, `{"__metadata__": {..}, "weight_ih_l0": [[..], ..], ..}`
 * in their key order (`__metadata__` first, when given), in pieces of bounded size
 * (`nestedJsonPieces`). Every tensor is checked before the first piece: NaN and infinities,
 * which JSON cannot hold, are a `FormatError` naming their position.
 */
export function* stateDictJsonPieces(tensors: Record<string, HostArray>, metadata?: Record<string, string>): Generator<string> {
  const entries = Object.entries(tensors).map(([key, tensor]) => {
    const array = hostArray(tensor.shape, tensor.data, key);
    checkFinite(key, array.shape, array.data);
    return [key, array] as const;
  });
  const members = metadata === undefined ? 0 : 1;
  yield metadata === undefined ? '{' : `{${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`;
  for (const [index, [key, { shape, data }]] of entries.entries()) {
    yield `${index + members > 0 ? ',' : ''}${JSON.stringify(key)}:`;
    yield* nestedJsonPieces(shape, (offset, count) => data.subarray(offset, offset + count), () => new Error('checked above'));
  }
  yield '}';
}

/**
 * Writes `tensors` as JSON of nested lists, `{"weight_ih_l0": [[..], ..], ..}`, in their key
 * order. NaN and infinities, which JSON cannot hold, are a `FormatError` naming their position.
 */
export function serializeStateDictJson(tensors: Record<string, HostArray>): string {
  return [...stateDictJsonPieces(tensors)].join('');
}
