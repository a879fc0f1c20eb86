import { ConfigError } from '../errors';

export type Nonlinearity = 'tanh' | 'relu';

/** Constructor arguments of PyTorch's `nn.RNN`, in camelCase. */
export interface RNNConfig {
  /** Features per time step, `H_in`. */
  inputSize: number;
  /** Features of the hidden state, `H_out`. */
  hiddenSize: number;
  /** Stacked recurrent layers. @default 1 */
  numLayers?: number;
  /** @default 'tanh' */
  nonlinearity?: Nonlinearity;
  /** Whether the layers have `bias_ih` and `bias_hh`. @default true */
  bias?: boolean;
  /** Input and output are `[batch, seq, feature]` instead of `[seq, batch, feature]`. @default false */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode. @default 0 */
  dropout?: number;
  /** Adds a reverse direction to every layer. @default false */
  bidirectional?: boolean;
}

/** A checked configuration with every default filled in. */
export type FullRNNConfig = Readonly<Required<RNNConfig>>;

/** PyTorch's snake_case constructor arguments, as in `nn.RNN(**args)`. */
export interface TorchRNNArgs {
  input_size: number;
  hidden_size: number;
  num_layers?: number;
  nonlinearity?: Nonlinearity;
  bias?: boolean;
  batch_first?: boolean;
  dropout?: number;
  bidirectional?: boolean;
}

const DEFAULTS = {
  numLayers: 1,
  nonlinearity: 'tanh',
  bias: true,
  batchFirst: false,
  dropout: 0,
  bidirectional: false,
} as const;

const TORCH_KEYS: Record<keyof TorchRNNArgs, keyof RNNConfig> = {
  input_size: 'inputSize',
  hidden_size: 'hiddenSize',
  num_layers: 'numLayers',
  nonlinearity: 'nonlinearity',
  bias: 'bias',
  batch_first: 'batchFirst',
  dropout: 'dropout',
  bidirectional: 'bidirectional',
};

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

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

/**
 * Checks a configuration with PyTorch's rules and fills in its defaults.
 * Both implementations call this, so they agree on what a configuration means.
 */
export function checkConfig(config: RNNConfig): FullRNNConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError('config', 'an object', describeValue(config));
  }
  const known = new Set<string>(Object.values(TORCH_KEYS));
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw new ConfigError('config', `only the keys ${[...known].join(', ')}`, `'${key}'`);
    }
  }
  const filled = { ...DEFAULTS, ...definedEntries(config) } as Required<RNNConfig>;
  const { nonlinearity, dropout } = filled;
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ConfigError('nonlinearity', "'tanh' or 'relu'", describeValue(nonlinearity));
  }
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
    throw new ConfigError('dropout', 'a number in [0, 1]', describeValue(dropout));
  }
  return Object.freeze({
    inputSize: checkPositiveInteger('inputSize', filled.inputSize),
    hiddenSize: checkPositiveInteger('hiddenSize', filled.hiddenSize),
    numLayers: checkPositiveInteger('numLayers', filled.numLayers),
    nonlinearity,
    bias: checkBoolean('bias', filled.bias),
    batchFirst: checkBoolean('batchFirst', filled.batchFirst),
    dropout,
    bidirectional: checkBoolean('bidirectional', filled.bidirectional),
  });
}

function definedEntries<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** Converts PyTorch's `nn.RNN` keyword arguments (`input_size`, `batch_first`, …) to an `RNNConfig`. */
export function fromTorchArgs(args: TorchRNNArgs): RNNConfig {
  if (typeof args !== 'object' || args === null) {
    throw new ConfigError('args', 'an object of nn.RNN keyword arguments', describeValue(args));
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const camel = TORCH_KEYS[key as keyof TorchRNNArgs];
    if (camel === undefined) {
      throw new ConfigError('args', `only nn.RNN arguments ${Object.keys(TORCH_KEYS).join(', ')}`, `'${key}'`);
    }
    config[camel] = value;
  }
  return config as unknown as RNNConfig;
}

/** Converts a configuration back to PyTorch's keyword arguments, every one spelled out. */
export function toTorchArgs(config: RNNConfig): Required<TorchRNNArgs> {
  const full = checkConfig(config);
  const args: Record<string, unknown> = {};
  for (const [torchKey, camel] of Object.entries(TORCH_KEYS)) {
    args[torchKey] = full[camel];
  }
  return args as unknown as Required<TorchRNNArgs>;
}

/** `D` in PyTorch's docs: 2 when bidirectional, else 1. */
export function numDirections(config: FullRNNConfig): 1 | 2 {
  return config.bidirectional ? 2 : 1;
}
