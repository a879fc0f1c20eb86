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
