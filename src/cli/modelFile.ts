import { FullRNNConfig, TorchRNNArgs, checkConfig, fromTorchArgs, toTorchArgs } from '../config';
import { ArgumentError, FormatError, WeightsError, formatShape } from '../errors';
import {
  ByteSource,
  HostArray,
  InferredConfig,
  StateDictFormat,
  firstNonFinite,
  inferConfig,
  jsonStateDict,
  parseSafetensors,
  readTorchFile,
  unravelIndex,
} from '../formats';
import { isPlainObject } from '../formats/isPlainObject';
import { parseJson } from '../formats/json';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, readRegularFile } from '../formats/regularFile';
import { openStateDictFile } from '../formats/stateDictFile';
import { FlagValues, UsageError, optionalString, requiredString } from './flags';
import { CONFIG_KEY, loadTfjsModel, tfjsModelSources } from './tfjsModel';

/**
 * The weights file of a command (`--weights`): a PyTorch state dict as `torch.save` writes it
 * (`.pt`, `.pth`, `.bin`, or a checkpoint holding one), `.safetensors` or `.json`, or a tfjs
 * `model.json`; and the `nn.RNN` configuration that goes with it, from `--config` or
 * recorded in the file, checked against what the weights' keys and shapes say.
 */

export type WeightsFormat = 'pt' | 'safetensors' | 'json' | 'tfjs';

/** A weights file as read: PyTorch's parameters, and the `nn.RNN` arguments it records, if any. */
export interface WeightsFile {
  path: string;
  /** Every file the weights were read from: `path`, and a tfjs model's weight files. */
  sources: string[];
  format: WeightsFormat;
  tensors: Record<string, HostArray>;
  /** The checkpoint entry a PyTorch file's state_dict was under (`model`), if it was one. */
  entry?: string;
  recordedArgs?: unknown;
}

/** A model ready to build: its configuration and PyTorch state dict. */
export interface ModelSpec {
  config: FullRNNConfig;
  stateDict: Record<string, HostArray>;
}

const METADATA_KEY = '__metadata__';

/** Largest `--config` file read: a JSON object of a few keyword arguments. */
export const MAX_CONFIG_BYTES = 1024 ** 2;

/** `nn.RNN`'s name of a configuration field, its snake_case: `hiddenSize` → `hidden_size`. */
function torchName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Checks `nn.RNN` keyword arguments read from `source`; errors are prefixed with `source` and name the argument as the file does. */
export function parseTorchArgs(args: unknown, source: string): FullRNNConfig {
  if (!isPlainObject(args)) throw new FormatError(source, 'a JSON object of nn.RNN arguments', JSON.stringify(args));
  try {
    return checkConfig(fromTorchArgs(args as unknown as TorchRNNArgs));
  } catch (error) {
    if (error instanceof ArgumentError) throw new FormatError(`${source}: ${torchName(error.argument)}`, error.expected, error.actual);
    throw error;
  }
}

/** The recorded arguments of a metadata string (JSON), or a `FormatError` naming the file. */
function parseRecorded(text: string | undefined, source: string): unknown {
  if (text === undefined) return undefined;
  return parseJson(text, `${source}: ${METADATA_KEY}['${CONFIG_KEY}']`, 'a JSON string of nn.RNN arguments');
}

/** A JSON state dict, with the config recorded as `"__metadata__": {"nn.RNN": "<JSON>"}` (as safetensors does). */
function readStateDictJson(parsed: Record<string, unknown>, path: string): WeightsFile {
  const { [METADATA_KEY]: metadata, ...tensors } = parsed;
  if (metadata !== undefined && (!isPlainObject(metadata) || typeof (metadata[CONFIG_KEY] ?? '') !== 'string')) {
    throw new FormatError(`${path}: ${METADATA_KEY}`, `an object mapping '${CONFIG_KEY}' to a JSON string`, JSON.stringify(metadata));
  }
  return {
    path,
    sources: [path],
    format: 'json',
    tensors: jsonStateDict(tensors, path),
    recordedArgs: parseRecorded(metadata?.[CONFIG_KEY] as string | undefined, path),
  };
}

/** Reads the parameters of `path` in `format`: a PyTorch file (the checkpoint entry `key`), safetensors, a JSON state dict or a tfjs model.json. */
async function readWeights(path: string, format: StateDictFormat, file: ByteSource, key: string | undefined): Promise<WeightsFile> {
  if (format === 'pt') {
    const { tensors, key: entry } = readTorchFile(file, path, { key });
    return { path, sources: [path], format, tensors, entry };
  }
  if (format === 'safetensors') {
    const { tensors, metadata } = parseSafetensors(readRegularFile(path, MAX_WEIGHTS_BYTES), path);
    return { path, sources: [path], format, tensors, recordedArgs: parseRecorded(metadata[CONFIG_KEY], path) };
  }
  const parsed = parseJson(readRegularFile(path, MAX_JSON_BYTES).toString('utf8'), path, 'JSON (a state dict or a tfjs model.json)');
  if (isPlainObject(parsed) && 'modelTopology' in parsed) {
    const sources = tfjsModelSources(parsed, path);
    const model = await loadTfjsModel(path, (args) => parseTorchArgs(args, `${path}: userDefinedMetadata['${CONFIG_KEY}']`));
    return { path, sources, format: 'tfjs', ...model };
  }
  if (!isPlainObject(parsed)) throw new FormatError(path, 'a JSON object mapping parameter names to values', JSON.stringify(parsed).slice(0, 40));
  return readStateDictJson(parsed, path);
}

/** The flags naming the weights, in every command: the file, and the entry of a PyTorch checkpoint. */
export const WEIGHTS_FLAGS = {
  weights: { type: 'string', file: 'input' },
  'weights-key': { type: 'string' },
  'allow-nonfinite': { type: 'boolean' },
} as const;

/**
 * Reads the file `--weights` names (a PyTorch checkpoint's entry `--weights-key`), with NaN and
 * ±Infinity only under `--allow-nonfinite`, which every command reading weights takes; see `readWeightsFile`.
 */
export function readWeightsFlags(values: FlagValues): Promise<WeightsFile> {
  return readWeightsFile(requiredString(values, 'weights'), { allowNonfinite: values['allow-nonfinite'] === true, key: optionalString(values, 'weights-key') });
}

/** Throws when a tensor of `weights` holds NaN or ±Infinity, naming the first. */
function checkFiniteWeights(weights: WeightsFile): void {
  for (const [key, { shape, data }] of Object.entries(weights.tensors)) {
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      throw new FormatError(`${weights.path}: ${key}`, 'finite values (pass --allow-nonfinite to read NaN and Infinity)', `${data[bad]} at ${formatShape(unravelIndex(shape, bad))}`);
    }
  }
}

/**
 * Reads `--weights`, told by its content whatever its name: a PyTorch file (`torch.save`'s
 * state_dict, or the entry `key` of a checkpoint, or the one it holds), safetensors (at most
 * `MAX_WEIGHTS_BYTES`), or JSON (at most `MAX_JSON_BYTES`) holding a state dict or, with
 * `modelTopology`, a tfjs model (its config is parsed with `parseTorchArgs` as it is needed to
 * read the layers). NaN and ±Infinity in the weights are refused unless `allowNonfinite`.
 */
export async function readWeightsFile(path: string, { allowNonfinite = false, key }: { allowNonfinite?: boolean; key?: string } = {}): Promise<WeightsFile> {
  const { format, file } = openStateDictFile(path);
  let weights: WeightsFile;
  try {
    if (key !== undefined && format !== 'pt') throw new UsageError('--weights-key', 'a PyTorch file as --weights (it names a checkpoint entry)', `${path}, a ${format} file`);
    weights = await readWeights(path, format, file, key);
  } finally {
    file.close();
  }
  if (!allowNonfinite) checkFiniteWeights(weights);
  return weights;
}

/** What the keys and shapes of `weights` say about the configuration; a `FormatError` naming the file lists every problem. */
export function inferWeightsConfig(weights: WeightsFile): InferredConfig {
  try {
    return inferConfig(weights.tensors);
  } catch (error) {
    if (error instanceof WeightsError) throw new FormatError(weights.path, "the parameters of an nn.RNN, nn.LSTM or nn.GRU (PyTorch's state_dict keys and shapes)", error.problems.join('; '));
    throw error;
  }
}

/** The fields a state dict's keys and shapes determine, in `nn.RNNBase`'s order. */
const INFERRED_FIELDS: (keyof InferredConfig)[] = ['mode', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'bias', 'projSize'];

/**
 * The configuration of `weights`: `--config` (a JSON file of `nn.RNN` arguments) when given,
 * else the one recorded in the weights file. Each field the weights determine is checked
 * against it, naming the config's source, the field, and both values.
 */
export async function resolveModel(weights: WeightsFile, configPath: string | undefined): Promise<ModelSpec & { configSource: string }> {
  let args = weights.recordedArgs;
  let configSource = `${weights.path} (recorded config)`;
  if (configPath !== undefined) {
    configSource = configPath;
    args = parseJson(readRegularFile(configPath, MAX_CONFIG_BYTES).toString('utf8'), configPath, 'a JSON object of nn.RNN arguments');
  } else if (args === undefined) {
    throw new ArgumentError('--config', `a JSON file of nn.RNN arguments (${weights.path} records none)`, 'nothing');
  }
  const inferred = inferWeightsConfig(weights);
  const config = parseTorchArgs(withInferredMode(args, inferred), configSource);
  for (const field of INFERRED_FIELDS) {
    if (inferred[field] !== config[field]) {
      throw new FormatError(`${configSource}: ${torchName(field)}`, `${inferred[field]} (as the weights ${weights.path} have)`, String(config[field]));
    }
  }
  return { config, stateDict: weights.tensors, configSource };
}

/** Arguments without a `mode` take the weights' (an RNN's stays one: its nonlinearity is the config's). */
function withInferredMode(args: unknown, inferred: InferredConfig): unknown {
  if (!isPlainObject(args) || args.mode !== undefined || inferred.mode === 'RNN') return args;
  return { mode: inferred.mode, ...args };
}

/** `value` as Python writes it: `True`, `'tanh'`, `0.0` for a float argument. */
function pythonLiteral(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value}'`;
  return key === 'dropout' && Number.isInteger(value) ? `${value}.0` : String(value);
}

/** The configuration as its module's constructor call: `nn.RNN(input_size=4, hidden_size=8, …, bidirectional=False)`, `nn.LSTM(…, proj_size=0)`. */
export function describeTorchArgs(config: FullRNNConfig): string {
  const { mode: _, ...args } = toTorchArgs(config);
  const described = Object.entries(args).map(([key, value]) => `${key}=${pythonLiteral(key, value)}`);
  return `nn.${config.mode}(${described.join(', ')})`;
}

/**
 * What the weights determine, as their module's constructor call: `nn.RNN(input_size=4,
 * hidden_size=8, num_layers=1, bidirectional=False, bias=True)`, `nn.GRU(…)`, `nn.LSTM(…, proj_size=0)`.
 */
export function describeInferred(inferred: InferredConfig): string {
  const described = INFERRED_FIELDS.filter((field) => field !== 'mode' && (field !== 'projSize' || inferred.mode === 'LSTM')).map(
    (field) => `${torchName(field)}=${pythonLiteral(torchName(field), inferred[field])}`,
  );
  return `nn.${inferred.mode}(${described.join(', ')})`;
}
