import { FullRNNConfig, Nonlinearity, TorchRNNArgs, checkConfig, fromTorchArgs, toTorchArgs } from '../config';
import { ArgumentError, FormatError, WeightsError, formatShape } from '../errors';
import {
  ByteSource,
  HostArray,
  InferredConfig,
  OtherModule,
  RecurrentModule,
  StateDictFormat,
  findOtherModules,
  findRecurrentModules,
  firstNonFinite,
  jsonStateDict,
  parseSafetensors,
  readTorchFile,
  selectRecurrentModule,
  stripWrapperPrefixes,
  unravelIndex,
} from '../formats';
import { isPlainObject } from '../formats/isPlainObject';
import { parseJson } from '../formats/json';
import { tfjsModelSources } from '../formats/modelFiles';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, readRegularFile } from '../formats/regularFile';
import { openStateDictFile } from '../formats/stateDictFile';
import { CheckedModelSpec, checkModelSpec } from '../model';
import { FlagValues, UsageError, choice, optionalString, requiredString } from './flags';
import { CONFIG_KEY, loadTfjsModel } from './tfjsModel';

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
  /** The recurrent module's parameters, by their own names (`weight_ih_l0`); in a `StateDictFile`, the whole state_dict. */
  tensors: Record<string, HostArray>;
  /** The checkpoint entry a PyTorch file's state_dict was under (`model`, `models.student`), if it was one. */
  entry?: string;
  recordedArgs?: unknown;
  /** The recurrent module chosen (`--prefix`, or the only one) and what its keys and shapes say. */
  module: RecurrentModule;
}

/** A whole model from `--model`: its checked spec, and the weights' whole state dict. */
export interface WholeModelFile {
  model: CheckedModelSpec;
  stateDict: Record<string, HostArray>;
}

/** A weights file as read, before a recurrent module is chosen: the whole state_dict. */
export type StateDictFile = Omit<WeightsFile, 'module'>;

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
function readStateDictJson(parsed: Record<string, unknown>, path: string): StateDictFile {
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
async function readWeights(path: string, format: StateDictFormat, file: ByteSource, key: string | undefined): Promise<StateDictFile> {
  if (format === 'pt') {
    const { tensors, key: entry } = readTorchFile(file, path, { key });
    return { path, sources: [path], format, tensors, entry };
  }
  if (format === 'safetensors') {
    const { tensors, metadata } = parseSafetensors(readRegularFile(path, MAX_WEIGHTS_BYTES), path);
    return { path, sources: [path], format, tensors, recordedArgs: parseRecorded(metadata[CONFIG_KEY], path) };
  }
  const parsed = parseJson(readRegularFile(path, MAX_JSON_BYTES).toString('utf8'), path, 'JSON (a state dict or a tfjs model.json)');
  if (isPlainObject(parsed) && ('modelTopology' in parsed || 'weightsManifest' in parsed)) {
    const sources = tfjsModelSources(parsed, path);
    const model = await loadTfjsModel(path, (args) => parseTorchArgs(args, `${path}: userDefinedMetadata['${CONFIG_KEY}']`));
    return { path, sources, format: 'tfjs', ...model };
  }
  if (!isPlainObject(parsed)) throw new FormatError(path, 'a JSON object mapping parameter names to values', JSON.stringify(parsed).slice(0, 40));
  return readStateDictJson(parsed, path);
}

/**
 * The flags naming the weights, in every command: the file, the entry of a PyTorch checkpoint
 * (a dotted path for nested ones), and the recurrent module in a whole model's state_dict.
 */
export const WEIGHTS_FLAGS = {
  weights: { type: 'string', file: 'input' },
  'weights-key': { type: 'string' },
  prefix: { type: 'string' },
  'allow-nonfinite': { type: 'boolean' },
} as const;

/** Reads the whole state_dict `--weights` names (a PyTorch checkpoint's entry `--weights-key`); see `readStateDictFile`. */
export function readStateDictFlags(values: FlagValues): Promise<StateDictFile> {
  return readStateDictFile(requiredString(values, 'weights'), optionalString(values, 'weights-key'));
}

/**
 * Reads the file `--weights` names (a PyTorch checkpoint's entry `--weights-key`) and chooses
 * its recurrent module (`--prefix`, or the only one); see `chooseRecurrentModule`.
 */
export async function readWeightsFlags(values: FlagValues, { allowNonfinite = values['allow-nonfinite'] === true } = {}): Promise<WeightsFile> {
  return chooseRecurrentModule(await readStateDictFlags(values), optionalString(values, 'prefix'), { allowNonfinite });
}

/** Throws when a tensor of `weights` (keys under `prefix`: the chosen module's, or the whole state_dict's) holds NaN or ±Infinity, naming the first. */
export function checkFiniteWeights(weights: StateDictFile, prefix = ''): void {
  for (const [key, { shape, data }] of Object.entries(weights.tensors)) {
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      throw new FormatError(`${weights.path}: ${prefix}${key}`, 'finite values (pass --allow-nonfinite to read NaN and Infinity)', `${data[bad]} at ${formatShape(unravelIndex(shape, bad))}`);
    }
  }
}

/**
 * Reads a weights file, told by its content whatever its name: a PyTorch file (`torch.save`'s
 * state_dict, or the entry `key` of a checkpoint — a dotted path into nested dicts — or the one
 * it holds), safetensors (at most `MAX_WEIGHTS_BYTES`), or JSON (at most `MAX_JSON_BYTES`)
 * holding a state dict or, with `modelTopology`, a tfjs model (its config is parsed with
 * `parseTorchArgs` as it is needed to read the layers). The whole state_dict: see
 * `chooseRecurrentModule`.
 */
export async function readStateDictFile(path: string, key?: string): Promise<StateDictFile> {
  const { format, file } = openStateDictFile(path);
  try {
    if (key !== undefined && format !== 'pt') throw new UsageError('--weights-key', 'a PyTorch file as --weights (it names a checkpoint entry)', `${path}, a ${format} file`);
    return await readWeights(path, format, file, key);
  } finally {
    file.close();
  }
}

/** The modules of a whole state_dict: its recurrent ones, the others, and the wrapper prefixes stripped from its keys. */
export interface StateDictModules {
  recurrent: RecurrentModule[];
  others: OtherModule[];
  wrappers: string[];
}

/** What `findRecurrentModules` and `findOtherModules` see in `weights`; a broken recurrent module is a `FormatError` naming the file. */
export function listModules(weights: StateDictFile): StateDictModules {
  return {
    recurrent: namingFile(weights.path, () => findRecurrentModules(weights.tensors)),
    others: findOtherModules(weights.tensors),
    wrappers: stripWrapperPrefixes(weights.tensors).wrappers,
  };
}

/** `read()`, a `WeightsError` made a `FormatError` naming the file `path`. */
function namingFile<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof WeightsError) throw new FormatError(path, "the parameters of an nn.RNN, nn.LSTM or nn.GRU (PyTorch's state_dict keys and shapes)", error.problems.join('; '));
    throw error;
  }
}

/**
 * The recurrent module of a whole state_dict: at `prefix` (`--prefix`, with or without its
 * trailing dot; DataParallel's `module.` and torch.compile's `_orig_mod.` stripped), or the
 * only one there is. A state_dict without one is a `FormatError` naming the file and the
 * modules it has; a prefix that names none, or several modules and no prefix, a `PrefixError`
 * of `--prefix` listing them. NaN and ±Infinity in the module's weights are refused unless
 * `allowNonfinite`.
 */
export function chooseRecurrentModule(weights: StateDictFile, prefix: string | undefined, { allowNonfinite = false } = {}): WeightsFile {
  const { recurrent, others } = listModules(weights);
  if (recurrent.length === 0) {
    const modules = others.length === 0 ? 'no parameters' : `modules ${others.map(({ prefix: other }) => `'${other}'`).join(', ')}`;
    throw new FormatError(weights.path, "the parameters of an nn.RNN, nn.LSTM or nn.GRU (PyTorch's state_dict keys and shapes)", `no key ending in weight_ih_l0 (${modules})`);
  }
  const { module, tensors } = namingFile(weights.path, () => selectRecurrentModule(weights.tensors, prefix, '--prefix'));
  const chosen: WeightsFile = { ...weights, tensors, module };
  if (!allowNonfinite) checkFiniteWeights(chosen, chosen.module.prefix);
  return chosen;
}

/** What the keys and shapes of the chosen module say about the configuration. */
export function inferWeightsConfig(weights: WeightsFile): InferredConfig {
  const { prefix: _, ...inferred } = weights.module;
  return inferred;
}

/** The fields a state dict's keys and shapes determine, in `nn.RNNBase`'s order. */
const INFERRED_FIELDS: (keyof InferredConfig)[] = ['mode', 'inputSize', 'hiddenSize', 'numLayers', 'bidirectional', 'bias', 'projSize'];

/** The flags giving what the weights cannot tell: a config file, and `batch_first` and an RNN's `nonlinearity` by themselves. */
export const CONFIG_FLAGS = {
  config: { type: 'string', file: 'input' },
  'batch-first': { type: 'boolean' },
  nonlinearity: { type: 'string' },
} as const;

/** What a command line says about the configuration beside the weights. */
export interface ConfigFlags {
  /** `--config`: a JSON file of `nn.RNN` arguments, all or some. */
  configPath?: string;
  /** `--batch-first`. */
  batchFirst?: true;
  /** `--nonlinearity`. */
  nonlinearity?: Nonlinearity;
}

/** Reads `CONFIG_FLAGS` from `values`. */
export function configFlags(values: FlagValues): ConfigFlags {
  return {
    configPath: optionalString(values, 'config'),
    batchFirst: values['batch-first'] === true ? true : undefined,
    nonlinearity: choice(values, 'nonlinearity', ['tanh', 'relu'] as const, undefined),
  };
}

/** `toTorchArgs`' names of what the weights determine: `input_size`, …, `proj_size` for an LSTM, and `mode` but for an RNN. */
function inferredArgs(inferred: InferredConfig): Record<string, unknown> {
  const args: Record<string, unknown> = inferred.mode === 'RNN' ? {} : { mode: inferred.mode };
  for (const field of INFERRED_FIELDS) {
    if (field !== 'mode' && (field !== 'projSize' || inferred.mode === 'LSTM')) args[torchName(field)] = inferred[field];
  }
  return args;
}

/** Throws unless a config's `mode` (`RNN_TANH`, `RNN_RELU`, `LSTM`, `GRU`), when it has one, is the weights'. */
function checkGivenMode(mode: unknown, inferred: InferredConfig, configSource: string, weightsPath: string): void {
  if (mode === undefined) return;
  const modes = inferred.mode === 'RNN' ? ['RNN_TANH', 'RNN_RELU'] : [inferred.mode];
  if (!modes.includes(mode as string)) {
    throw new FormatError(`${configSource}: mode`, `${modes.join(' or ')} (as the weights ${weightsPath} have)`, String(mode));
  }
}

/**
 * The configuration of `weights`: what its keys and shapes say (mode, sizes, layers,
 * directions, bias, proj_size), and what they cannot (`batch_first`, an RNN's `nonlinearity`,
 * `dropout`) from `--config` (a JSON file of `nn.RNN` arguments, all or only those) or, without
 * it, the config recorded in the weights file, and from `--batch-first` and `--nonlinearity`;
 * PyTorch's defaults for the rest. A field of the config that contradicts the weights is an error
 * naming the config's source, the field and both values; a flag that contradicts the config one
 * naming the flag and both values.
 */
export async function resolveModel(weights: WeightsFile, flags: ConfigFlags = {}): Promise<ModelSpec & { configSource: string }> {
  const { configPath, batchFirst, nonlinearity } = flags;
  let args = weights.recordedArgs;
  let configSource = args === undefined ? `the weights ${weights.path}` : `${weights.path} (recorded config)`;
  if (configPath !== undefined) {
    configSource = configPath;
    args = parseJson(readRegularFile(configPath, MAX_CONFIG_BYTES).toString('utf8'), configPath, 'a JSON object of nn.RNN arguments');
  }
  if (args !== undefined && !isPlainObject(args)) throw new FormatError(configSource, 'a JSON object of nn.RNN arguments', JSON.stringify(args));
  const given = (args ?? {}) as Record<string, unknown>;
  const inferred = inferWeightsConfig(weights);
  if (nonlinearity !== undefined && inferred.mode !== 'RNN' && nonlinearity !== 'tanh') {
    throw new ArgumentError('--nonlinearity', `nothing (or tanh) for the nn.${inferred.mode} of the weights: only an nn.RNN's can be chosen`, `'${nonlinearity}'`);
  }
  checkGivenMode(given.mode, inferred, configSource, weights.path);
  const fileConfig = parseTorchArgs({ ...inferredArgs(inferred), ...given }, configSource);
  for (const field of INFERRED_FIELDS) {
    if (inferred[field] !== fileConfig[field]) {
      throw new FormatError(`${configSource}: ${torchName(field)}`, `${inferred[field]} (as the weights ${weights.path} have)`, String(fileConfig[field]));
    }
  }
  const saysNonlinearity = given.nonlinearity !== undefined || given.mode === 'RNN_TANH' || given.mode === 'RNN_RELU';
  const flagged = [
    { flag: '--batch-first', field: 'batchFirst', value: batchFirst, inFile: given.batch_first !== undefined },
    { flag: '--nonlinearity', field: 'nonlinearity', value: nonlinearity, inFile: saysNonlinearity },
  ] as const;
  for (const { flag, field, value, inFile } of flagged) {
    if (value !== undefined && inFile && fileConfig[field] !== value) {
      throw new ArgumentError(flag, `${fileConfig[field]} as ${configSource} has ${torchName(field)}, or no ${flag}`, String(value));
    }
  }
  const config = checkConfig({ ...fileConfig, ...(batchFirst === undefined ? {} : { batchFirst }), ...(nonlinearity === undefined ? {} : { nonlinearity }) });
  return { config, stateDict: weights.tensors, configSource };
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

/** Reads `--model` (a spec, at most `MAX_CONFIG_BYTES` of JSON); a `FormatError` naming the file and the layer's field. */
export function readModelSpecFile(path: string): CheckedModelSpec {
  const parsed = parseJson(readRegularFile(path, MAX_CONFIG_BYTES).toString('utf8'), path, 'a JSON model spec');
  try {
    return checkModelSpec(parsed);
  } catch (error) {
    if (error instanceof ArgumentError) throw new FormatError(`${path}: ${error.argument}`, error.expected, error.actual);
    throw error;
  }
}

