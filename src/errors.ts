import * as tf from '@tensorflow/tfjs-core';

/**
 * Typed errors. Every message names the argument, what was expected and what
 * was given: `input: expected [batch, seq, 3] (batchFirst), got [2, 5, 4]`.
 */

/** Base class of every error this package throws on purpose. */
export class RNNError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error about one named argument: `${argument}: expected ${expected}, got ${actual}`. */
export class ArgumentError extends RNNError {
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${argument}: expected ${expected}, got ${actual}`);
  }
}

/** A configuration value PyTorch's `nn.RNN` would reject. */
export class ConfigError extends ArgumentError {}

/** A tensor of the wrong rank or shape (input, h0, lengths). */
export class ShapeError extends ArgumentError {}

/** Parameters that do not fit the configuration: each problem is listed. */
export class WeightsError extends RNNError {
  constructor(readonly problems: string[]) {
    super(`weights: ${problems.join('; ')}`);
  }
}

/**
 * A module prefix that names no module of a state_dict (or none where several are): `argument`
 * is `prefix` (the CLI's `--prefix`), `prefixes` those of the modules it has.
 */
export class PrefixError extends ArgumentError {
  constructor(
    argument: string,
    expected: string,
    actual: string,
    readonly prefixes: string[],
  ) {
    super(argument, expected, actual);
  }
}

/** A file or byte buffer that cannot be read as the format it claims to be. */
export class FormatError extends ArgumentError {}

/** A tensor of the wrong dtype. */
export class DtypeError extends ArgumentError {}

/** A backend that was asked for and cannot be used. */
export class BackendError extends ArgumentError {}

/** Formats a shape as `[2, 5, 4]`. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** A model spec that cannot describe a model: `argument` names the layer and field, e.g. `layers[2].p`. */
export class ModelSpecError extends ArgumentError {}
/** Keys named by `describeValue` for a plain object, at most. */
const DESCRIBED_KEYS = 4;
/** Characters of a string shown by `describeValue`, at most. */
const DESCRIBED_CHARACTERS = 40;

/**
 * What `value` is, for the `got …` of every error. A primitive as its JS literal, which says
 * its type (`12.5`, `NaN`, `'tanh'`, `true`, `3n`, `undefined`, `null`); anything else by its
 * type and what tells it apart: `Array(2)`, `Float32Array(6)`, `Map(3)`, `Object {input, h0}`,
 * `SGDOptimizer` (an instance by its class), `function step`, `tf.Tensor float32 [2, 3]`,
 * `a disposed tf.Tensor`.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof tf.Tensor) {
    return value.isDisposed ? `a disposed ${tensorKind(value)}` : `${tensorKind(value)} ${value.dtype} ${formatShape(value.shape)}`;
  }
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `function ${value.name}` : 'function';
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  }
  if (value instanceof Map || value instanceof Set) return `${value.constructor.name}(${value.size})`;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) {
    const keys = Object.keys(value as object);
    const shown = keys.slice(0, DESCRIBED_KEYS).join(', ');
    return keys.length === 0 ? 'Object {}' : `Object {${shown}${keys.length > DESCRIBED_KEYS ? ', …' : ''}}`;
  }
  const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
}

/** `tf.Variable` for a variable, `tf.Tensor` for any other tensor. */
function tensorKind(tensor: tf.Tensor): string {
  return tensor instanceof tf.Variable ? 'tf.Variable' : 'tf.Tensor';
}

/** `'text'`, cut to `DESCRIBED_CHARACTERS` characters. */
function quoted(text: string): string {
  return text.length > DESCRIBED_CHARACTERS ? `'${text.slice(0, DESCRIBED_CHARACTERS - 1)}…'` : `'${text}'`;
}
