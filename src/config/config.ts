import { ConfigError, describeValue } from '../errors';

export type Nonlinearity = 'tanh' | 'relu';

/** The recurrent family: `nn.RNN`, `nn.LSTM` and `nn.GRU`. */
export const MODES = ['RNN', 'LSTM', 'GRU'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Gate blocks stacked in each weight's rows, as `RNNBase` builds them: `gate_size` is
 * `G·H` with G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n).
 */
export const GATE_COUNTS: Readonly<Record<Mode, number>> = { RNN: 1, LSTM: 4, GRU: 3 };

/** The most values one parameter may hold: a tfjs tensor's size is an int32. */
export const MAX_PARAMETER_VALUES = 2 ** 31 - 1;

/** PyTorch's `RNNBase` modes: the RNN's nonlinearity is part of its mode there. */
export type TorchMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Constructor arguments of PyTorch's `nn.RNN`, `nn.LSTM` or `nn.GRU`, in camelCase. */
export interface RNNConfig {
  /** Which recurrence. @default 'RNN' */
  mode?: Mode;
  /** Features per time step, `H_in`. */
  inputSize: number;
  /** Features of the hidden state (of the cell state, for an LSTM with `projSize`), `H_cell`. */
  hiddenSize: number;
  /** Stacked recurrent layers. @default 1 */
  numLayers?: number;
  /** The RNN's activation; LSTMs and GRUs have tanh (filled in, as the default). @default 'tanh' */
  nonlinearity?: Nonlinearity;
  /** Whether the layers have `bias_ih` and `bias_hh`. @default true */
  bias?: boolean;
  /** Input and output are `[batch, seq, feature]` instead of `[seq, batch, feature]`. @default false */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode. @default 0 */
  dropout?: number;
  /** Adds a reverse direction to every layer. @default false */
  bidirectional?: boolean;
  /** LSTM only: `h = (o ⊙ tanh(c)) W_hrᵀ` of `projSize` features when > 0. @default 0 */
  projSize?: number;
}

/** `nn.LSTM`'s arguments: no nonlinearity. */
export type LSTMConfig = Omit<RNNConfig, 'nonlinearity'>;

/** `nn.GRU`'s arguments: no nonlinearity, no projection. */
export type GRUConfig = Omit<RNNConfig, 'nonlinearity' | 'projSize'>;

/** A checked configuration with every default filled in. */
export type FullRNNConfig = Readonly<Required<RNNConfig>>;

/** PyTorch's snake_case constructor arguments, as in `nn.RNN(**args)`; `mode` as `nn.RNNBase` takes it. */
export interface TorchRNNArgs {
  mode?: TorchMode;
  input_size: number;
  hidden_size: number;
  num_layers?: number;
  nonlinearity?: Nonlinearity;
  bias?: boolean;
  batch_first?: boolean;
  dropout?: number;
  bidirectional?: boolean;
  proj_size?: number;
}

const DEFAULTS = {
  mode: 'RNN',
  numLayers: 1,
  nonlinearity: 'tanh',
  bias: true,
  batchFirst: false,
  dropout: 0,
  bidirectional: false,
  projSize: 0,
} as const;

/** PyTorch's argument names and ours (`mode` is converted on its own). */
const TORCH_KEYS: Record<Exclude<keyof TorchRNNArgs, 'mode'>, keyof RNNConfig> = {
  input_size: 'inputSize',
  hidden_size: 'hiddenSize',
  num_layers: 'numLayers',
  nonlinearity: 'nonlinearity',
  bias: 'bias',
  batch_first: 'batchFirst',
  dropout: 'dropout',
  bidirectional: 'bidirectional',
  proj_size: 'projSize',
};

const TORCH_MODES: Record<TorchMode, Pick<RNNConfig, 'mode' | 'nonlinearity'>> = {
  RNN_TANH: { mode: 'RNN', nonlinearity: 'tanh' },
  RNN_RELU: { mode: 'RNN', nonlinearity: 'relu' },
  LSTM: { mode: 'LSTM' },
  GRU: { mode: 'GRU' },
};

function checkPositiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, 'a positive integer', describeValue(value));
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError(name, 'a boolean', describeValue(value));
  }
  return value;
}

/** PyTorch's rules for `proj_size`: LSTM only, an integer in `[0, hiddenSize)`. */
function checkProjSize(mode: Mode, projSize: unknown, hiddenSize: number): number {
  if (typeof projSize !== 'number' || !Number.isInteger(projSize) || projSize < 0) {
    throw new ConfigError('projSize', 'a non-negative integer (0: no projection)', describeValue(projSize));
  }
  if (projSize > 0 && mode !== 'LSTM') {
    throw new ConfigError('projSize', `0 for ${mode} (only an LSTM projects its state)`, describeValue(projSize));
  }
  if (projSize >= hiddenSize && projSize > 0) {
    throw new ConfigError('projSize', `an integer smaller than hiddenSize ${hiddenSize}`, describeValue(projSize));
  }
  return projSize;
}

/**
 * Checks a configuration with PyTorch's rules and fills in its defaults.
 * Every implementation calls this, so they agree on what a configuration means.
 */
export function checkConfig(config: RNNConfig): FullRNNConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError('config', 'an object', describeValue(config));
  }
  const known = new Set<string>(['mode', ...Object.values(TORCH_KEYS)]);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw new ConfigError('config', `only the keys ${[...known].join(', ')}`, `'${key}'`);
    }
  }
  const filled = { ...DEFAULTS, ...definedEntries(config) } as Required<RNNConfig>;
  const { mode, nonlinearity, dropout } = filled;
  if (!MODES.includes(mode)) {
    throw new ConfigError('mode', MODES.map((name) => `'${name}'`).join(', '), describeValue(mode));
  }
  if (mode !== 'RNN' && nonlinearity !== 'tanh') {
    throw new ConfigError('nonlinearity', `nothing (or 'tanh') for ${mode}: only the RNN's activation can be chosen`, describeValue(nonlinearity));
  }
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ConfigError('nonlinearity', "'tanh' or 'relu'", describeValue(nonlinearity));
  }
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
    throw new ConfigError('dropout', 'a number in [0, 1]', describeValue(dropout));
  }
  const hiddenSize = checkPositiveInteger('hiddenSize', filled.hiddenSize);
  return checkParameterSizes(Object.freeze({
    mode,
    inputSize: checkPositiveInteger('inputSize', filled.inputSize),
    hiddenSize,
    numLayers: checkPositiveInteger('numLayers', filled.numLayers),
    nonlinearity,
    bias: checkBoolean('bias', filled.bias),
    batchFirst: checkBoolean('batchFirst', filled.batchFirst),
    dropout,
    bidirectional: checkBoolean('bidirectional', filled.bidirectional),
    projSize: checkProjSize(mode, filled.projSize, hiddenSize),
  }));
}

/**
 * Refuses a configuration whose largest parameter, `weight_ih_l0` `[G·H, H_in]`, `weight_hh`
 * `[G·H, H_out]` or an upper layer's `weight_ih` `[G·H, D·H_out]`, would hold more than `MAX_PARAMETER_VALUES`.
 */
function checkParameterSizes(config: FullRNNConfig): FullRNNConfig {
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  const inputValues = gateSize * config.inputSize;
  const stateValues = gateSize * (config.numLayers > 1 ? numDirections(config) : 1) * outputSize(config);
  if (Math.max(inputValues, stateValues) <= MAX_PARAMETER_VALUES) return config;
  const [argument, value] = inputValues > stateValues ? ['inputSize', config.inputSize] : ['hiddenSize', config.hiddenSize];
  throw new ConfigError(argument, `a size whose weights fit in tensors (at most ${MAX_PARAMETER_VALUES} values per parameter)`, describeValue(value));
}

function definedEntries<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/**
 * Converts PyTorch's keyword arguments (`input_size`, `batch_first`, …, and `mode` as
 * `nn.RNNBase` takes it: `'RNN_TANH'`, `'RNN_RELU'`, `'LSTM'`, `'GRU'`; absent for `nn.RNN`)
 * to an `RNNConfig`.
 */
export function fromTorchArgs(args: TorchRNNArgs): RNNConfig {
  if (typeof args !== 'object' || args === null) {
    throw new ConfigError('args', 'an object of nn.RNN, nn.LSTM or nn.GRU keyword arguments', describeValue(args));
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === 'mode') continue;
    // Own keys only: `constructor` or `toString` must not reach Object.prototype's.
    const camel = Object.prototype.hasOwnProperty.call(TORCH_KEYS, key) ? TORCH_KEYS[key as keyof typeof TORCH_KEYS] : undefined;
    if (camel === undefined) {
      throw new ConfigError('args', `only the arguments mode, ${Object.keys(TORCH_KEYS).join(', ')}`, `'${key}'`);
    }
    config[camel] = value;
  }
  if (args.mode !== undefined) {
    const fromMode = Object.prototype.hasOwnProperty.call(TORCH_MODES, args.mode) ? TORCH_MODES[args.mode] : undefined;
    if (fromMode === undefined) {
      throw new ConfigError('mode', Object.keys(TORCH_MODES).map((name) => `'${name}'`).join(', '), describeValue(args.mode));
    }
    if (fromMode.nonlinearity !== undefined && args.nonlinearity !== undefined && args.nonlinearity !== fromMode.nonlinearity) {
      throw new ConfigError('nonlinearity', `'${fromMode.nonlinearity}' (mode '${args.mode}')`, describeValue(args.nonlinearity));
    }
    Object.assign(config, fromMode);
  }
  return config as unknown as RNNConfig;
}

/**
 * Converts a configuration back to PyTorch's keyword arguments, every one spelled out: an
 * RNN's as `nn.RNN` takes them; an LSTM's and a GRU's with `mode` as `nn.RNNBase` takes it
 * (`nn.LSTM(**args)` wants it removed), `proj_size` for the LSTM.
 */
export function toTorchArgs(config: RNNConfig): TorchRNNArgs {
  const full = checkConfig(config);
  const args: Record<string, unknown> = full.mode === 'RNN' ? {} : { mode: full.mode };
  for (const [torchKey, camel] of Object.entries(TORCH_KEYS)) {
    const unused = (camel === 'nonlinearity' && full.mode !== 'RNN') || (camel === 'projSize' && full.mode !== 'LSTM');
    if (!unused) args[torchKey] = full[camel];
  }
  return args as unknown as TorchRNNArgs;
}

/** `config` with `mode` set to the class's, or a `ConfigError` when it names another. */
export function withMode<T extends object>(config: T, mode: Mode, className: string): T & { mode: Mode } {
  if (typeof config !== 'object' || config === null) return config;
  const given = (config as { mode?: unknown }).mode;
  if (given !== undefined && given !== mode) {
    throw new ConfigError('mode', `'${mode}' or nothing (a ${className})`, describeValue(given));
  }
  return { ...config, mode };
}

/** `D` in PyTorch's docs: 2 when bidirectional, else 1. */
export function numDirections(config: FullRNNConfig): 1 | 2 {
  return config.bidirectional ? 2 : 1;
}

/** `H_out` in PyTorch's docs: the features of h and of each direction's output, `projSize` or `hiddenSize`. */
export function outputSize(config: FullRNNConfig): number {
  return config.projSize > 0 ? config.projSize : config.hiddenSize;
}
