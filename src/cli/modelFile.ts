import { extname } from 'path';
import { FullRNNConfig, TorchRNNArgs, checkConfig, fromTorchArgs, toTorchArgs } from '../config';
import { ArgumentError, FormatError, WeightsError } from '../errors';
import { HostArray, InferredConfig, inferConfig, parseSafetensors, parseStateDictJson } from '../formats';
import { isPlainObject } from '../formats/isPlainObject';
import { readNamedFile } from './readFile';
import { CONFIG_KEY, loadTfjsModel } from './tfjsModel';

/**
 * The weights file of a command (`--weights`): a PyTorch state dict as `.safetensors` or `.json`,
 * or a tfjs `model.json`; and the `nn.RNN` configuration that goes with it, from `--config` or
 * recorded in the file, checked against what the weights' keys and shapes say.
 */

export type WeightsFormat = 'safetensors' | 'json' | 'tfjs';

/** A weights file as read: PyTorch's parameters, and the `nn.RNN` arguments it records, if any. */
export interface WeightsFile {
  path: string;
  format: WeightsFormat;
  tensors: Record<string, HostArray>;
  recordedArgs?: unknown;
}

/** A model ready to build: its configuration and PyTorch state dict. */
export interface ModelSpec {
  config: FullRNNConfig;
  stateDict: Record<string, HostArray>;
}

const METADATA_KEY = '__metadata__';

/** Checks `nn.RNN` keyword arguments read from `source`; errors are prefixed with `source`. */
export function parseTorchArgs(args: unknown, source: string): FullRNNConfig {
  if (!isPlainObject(args)) throw new FormatError(source, 'a JSON object of nn.RNN arguments', JSON.stringify(args));
  try {
    return checkConfig(fromTorchArgs(args as unknown as TorchRNNArgs));
  } catch (error) {
    if (error instanceof ArgumentError) throw new FormatError(`${source}: ${error.argument}`, error.expected, error.actual);
    throw error;
  }
}

/** The recorded arguments of a metadata string (JSON), or a `FormatError` naming the file. */
function parseRecorded(text: string | undefined, source: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FormatError(`${source}: ${METADATA_KEY}['${CONFIG_KEY}']`, 'a JSON string of nn.RNN arguments', (error as Error).message);
  }
}

/** A JSON state dict, with the config recorded as `"__metadata__": {"nn.RNN": "<JSON>"}` (as safetensors does). */
function readStateDictJson(parsed: Record<string, unknown>, path: string): WeightsFile {
  const { [METADATA_KEY]: metadata, ...tensors } = parsed;
  if (metadata !== undefined && (!isPlainObject(metadata) || typeof (metadata[CONFIG_KEY] ?? '') !== 'string')) {
    throw new FormatError(`${path}: ${METADATA_KEY}`, `an object mapping '${CONFIG_KEY}' to a JSON string`, JSON.stringify(metadata));
  }
  return {
    path,
    format: 'json',
    tensors: parseStateDictJson(JSON.stringify(tensors), path),
    recordedArgs: parseRecorded(metadata?.[CONFIG_KEY] as string | undefined, path),
  };
}

/**
 * Reads `--weights`. `.json` holding `modelTopology` is a tfjs model (its config is parsed with
 * `parseTorchArgs` as it is needed to read the layers); any other `.json` is a state dict.
 */
export async function readWeightsFile(path: string): Promise<WeightsFile> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.safetensors' && extension !== '.json') {
    throw new FormatError(path, 'a weights file ending in .safetensors or .json (state dict or tfjs model.json)', extension === '' ? 'no extension' : `'${extension}'`);
  }
  const bytes = await readNamedFile(path);
  if (extension === '.safetensors') {
    const { tensors, metadata } = parseSafetensors(bytes, path);
    return { path, format: 'safetensors', tensors, recordedArgs: parseRecorded(metadata[CONFIG_KEY], path) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new FormatError(path, 'JSON (a state dict or a tfjs model.json)', `invalid JSON (${(error as Error).message})`);
  }
  if (isPlainObject(parsed) && 'modelTopology' in parsed) {
    const model = await loadTfjsModel(path, (args) => parseTorchArgs(args, `${path}: userDefinedMetadata['${CONFIG_KEY}']`));
    return { path, format: 'tfjs', ...model };
  }
  if (!isPlainObject(parsed)) throw new FormatError(path, 'a JSON object mapping parameter names to values', JSON.stringify(parsed).slice(0, 40));
  return readStateDictJson(parsed, path);
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

const TORCH_NAMES: Record<keyof InferredConfig, string> = {
  mode: 'mode',
  inputSize: 'input_size',
  hiddenSize: 'hidden_size',
  numLayers: 'num_layers',
  bidirectional: 'bidirectional',
  bias: 'bias',
  projSize: 'proj_size',
};

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
    try {
      args = JSON.parse((await readNamedFile(configPath)).toString('utf8'));
    } catch (error) {
      if (error instanceof FormatError) throw error;
      throw new FormatError(configPath, 'a JSON object of nn.RNN arguments', `invalid JSON (${(error as Error).message})`);
    }
  } else if (args === undefined) {
    throw new ArgumentError('--config', `a JSON file of nn.RNN arguments (${weights.path} records none)`, 'nothing');
  }
  const inferred = inferWeightsConfig(weights);
  const config = parseTorchArgs(withInferredMode(args, inferred), configSource);
  for (const [field, torchName] of Object.entries(TORCH_NAMES) as [keyof InferredConfig, string][]) {
    if (inferred[field] !== config[field]) {
      throw new FormatError(`${configSource}: ${torchName}`, `${inferred[field]} (as the weights ${weights.path} have)`, String(config[field]));
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
  const described = (Object.entries(TORCH_NAMES) as [keyof InferredConfig, string][])
    .filter(([field]) => field !== 'mode' && (field !== 'projSize' || inferred.mode === 'LSTM'))
    .map(([field, key]) => `${key}=${pythonLiteral(key, inferred[field])}`);
  return `nn.${inferred.mode}(${described.join(', ')})`;
}
