import { existsSync, promises as fs, realpathSync } from 'fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FullRNNConfig, Mode, layerInputSize, toTorchArgs } from '../config';
import { ArgumentError, FormatError } from '../errors';
import { HostArray, systemErrorText, toHostArrays, toTensors, writeFilesAtomic } from '../formats';
import { isShape, shapeSize } from '../formats/hostArray';
import { isPlainObject } from '../formats/isPlainObject';
import { parseJson } from '../formats/json';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, readRegularFile } from '../formats/regularFile';
import { stackedLayer, zeroInitializers } from '../layers/build';
import { groupKerasWeights, layerKerasTensors } from '../layers/model';
import { disposeKerasWeights, kerasToTorch, torchToKeras } from '../mapping';

/**
 * A tfjs LayersModel of an `nn.RNN`, `nn.LSTM` or `nn.GRU`: `model.json` and `weights.bin` side
 * by side, readable by `tf.loadLayersModel`. Input `[batch, seq, input_size]` (batch-major, as
 * Keras); outputs the last layer's sequence `[batch, seq, D·H_out]`, then every layer's final
 * states as Keras returns them (`[batch, H_out]` h, and `[batch, H]` c after it for an LSTM),
 * layer-major, direction-minor (PyTorch's `h_n` order). One recurrent layer of the mode per layer
 * (`SimpleRNN`, `LSTM`, `LSTMProjection` or `GRU`, see `stackedLayer`) named `rnn_l{k}`, wrapped
 * in a `Bidirectional` named `bidirectional_l{k}` when D = 2; the arguments (with `mode` for an
 * LSTM or a GRU) are kept in the model's user-defined metadata under `CONFIG_KEY`.
 */

/** Where the `nn.RNN` keyword arguments (and `mode`) are recorded: safetensors `__metadata__`, JSON, tfjs metadata. */
export const CONFIG_KEY = 'nn.RNN';
const WEIGHTS_FILE = 'weights.bin';
const MODEL_FILE = 'model.json';

/** The files of an output `out`: `model.json` (`out` itself when it ends in `.json`, else `out/model.json`) and `weights.bin` beside it. */
export function tfjsModelFiles(out: string): { model: string; weights: string } {
  const model = extname(out).toLowerCase() === '.json' ? out : join(out, MODEL_FILE);
  return { model, weights: join(dirname(model), WEIGHTS_FILE) };
}

/**
 * Makes `directory` and the directories missing above it, one level at a time (a recursive
 * mkdir spins forever under /proc); returns those it made, outermost first. On a failure it
 * removes them again and throws a `FormatError` naming the directory it could not make.
 */
async function makeDirectories(directory: string): Promise<string[]> {
  const missing: string[] = [];
  for (let path = directory; !existsSync(path); path = dirname(path)) missing.unshift(path);
  for (const [index, path] of missing.entries()) {
    try {
      await fs.mkdir(path);
    } catch (error) {
      await removeDirectories(missing.slice(0, index));
      throw new FormatError(path, 'a directory that can be made', systemErrorText(error));
    }
  }
  return missing;
}

/** Removes `directories` (made by `makeDirectories`, empty), innermost first. */
async function removeDirectories(directories: string[]): Promise<void> {
  for (const directory of [...directories].reverse()) await fs.rmdir(directory).catch(() => undefined);
}

/**
 * An IOHandler over files: `save` writes `weights.bin` and `model.json` next to it atomically,
 * both or neither; `load` reads them back (every weights path of the manifest, relative to `model.json`).
 */
export function fileIOHandler(modelPath: string): tf.io.IOHandler {
  const directory = dirname(modelPath);
  return {
    async save(artifacts) {
      // concatenateArrayBuffers, not CompositeArrayBuffer.join: tfjs-core 4.0.0 (in the peer range) has only the former, and takes an array.
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(([] as ArrayBuffer[]).concat(artifacts.weightData));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      const made = await makeDirectories(directory);
      try {
        await writeFilesAtomic([
          { path: join(directory, WEIGHTS_FILE), contents: new Uint8Array(weightData) },
          { path: modelPath, contents: JSON.stringify(modelJson) },
        ]);
      } catch (error) {
        await removeDirectories(made);
        throw error;
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    },
    async load() {
      const modelJson = parseJson(readRegularFile(modelPath, MAX_JSON_BYTES).toString('utf8'), modelPath, 'a tfjs model.json');
      checkModelJson(modelJson, modelPath);
      // The weight files: inside the model's folder (links resolved), holding exactly the bytes the manifest lists.
      const { paths, weights } = checkManifest(modelJson.weightsManifest, modelPath);
      const buffers = paths.map((path) => readRegularFile(weightFileInside(path, modelPath), MAX_WEIGHTS_BYTES));
      const expected = weights.reduce((total, spec) => total + shapeSize(spec.shape) * FLOAT32_BYTES, 0);
      const actual = buffers.reduce((total, bytes) => total + bytes.length, 0);
      if (actual !== expected) {
        throw new FormatError(modelPath, `${expected} bytes of weights (the float32 values its weightsManifest lists)`, `${actual} bytes in ${paths.join(', ')}`);
      }
      const weightData = tf.io.concatenateArrayBuffers(buffers.map((bytes) => new Uint8Array(bytes).buffer));
      const zeroed = { ...modelJson, modelTopology: withZeroInitializers(modelJson.modelTopology) };
      return tf.io.getModelArtifactsForJSON(zeroed as unknown as tf.io.ModelJSON, async () => [weights, weightData]);
    },
  };
}

/**
 * `topology` (a Keras model config) with every `*_initializer` replaced by zeros: the weights
 * read with it overwrite whatever the initializers draw, and the Orthogonal initializer of a
 * model saved by Keras takes minutes at H = 1024.
 */
function withZeroInitializers(topology: unknown): unknown {
  if (Array.isArray(topology)) return topology.map(withZeroInitializers);
  if (!isPlainObject(topology)) return topology;
  return Object.fromEntries(
    Object.entries(topology).map(([key, value]) => [
      key,
      /_initializer$/.test(key) && isPlainObject(value) ? { class_name: 'Zeros', config: {} } : withZeroInitializers(value),
    ]),
  );
}

/**
 * The layers of the exported model, named `rnn_l{k}` (`bidirectional_l{k}` around it when D = 2),
 * with zero initializers: their weights are set right after, and the file records the weights.
 */
function namedLayers(config: FullRNNConfig): tfl.layers.Layer[] {
  return Array.from({ length: config.numLayers }, (_, layer) =>
    stackedLayer(config, { name: `rnn_l${layer}`, inputShape: [null, layerInputSize(config, layer)], ...zeroInitializers() }, `bidirectional_l${layer}`),
  );
}

/** Writes `stateDict` as a tfjs LayersModel at `out` (a directory, or a `model.json` path); returns the model.json path. */
export async function saveTfjsModel(out: string, config: FullRNNConfig, stateDict: Record<string, HostArray>): Promise<string> {
  const modelPath = tfjsModelFiles(out).model;
  const input = tfl.input({ shape: [null, config.inputSize], name: 'input' });
  const layers = namedLayers(config);
  const states: tfl.SymbolicTensor[] = [];
  let sequence = input;
  for (const layer of layers) {
    const [output, ...finalStates] = layer.apply(sequence) as tfl.SymbolicTensor[];
    states.push(...finalStates);
    sequence = output;
  }
  const model = tfl.model({ inputs: input, outputs: [sequence, ...states], name: 'nn_rnn' });
  const tensors = toTensors(stateDict);
  const keras = torchToKeras(tensors, config);
  try {
    keras.forEach((directions, index) => layers[index].setWeights(layerKerasTensors(directions)));
    model.setUserDefinedMetadata({ [CONFIG_KEY]: toTorchArgs(config) });
    await model.save(fileIOHandler(modelPath));
  } finally {
    disposeKerasWeights(keras);
    tf.dispose(Object.values(tensors));
    model.dispose();
  }
  return modelPath;
}

/** Bytes of one float32 value, the only weight dtype read (as `saveTfjsModel` writes). */
const FLOAT32_BYTES = 4;

/** Whether `path`, relative to `directory`, names a file inside it (not absolute, not through `..`). */
function isInside(directory: string, path: string): boolean {
  const fromDirectory = relative(directory, resolve(directory, path));
  return !isAbsolute(path) && fromDirectory !== '' && fromDirectory !== '..' && !fromDirectory.startsWith(`..${sep}`);
}

/**
 * Where the weight file `path` of the manifest of `modelPath` really is: its real path (every
 * symbolic link resolved), which must be inside the real path of the model's folder, so that a
 * link cannot lead the read outside it. A missing file is left for the read to report.
 */
function weightFileInside(path: string, modelPath: string): string {
  const file = join(dirname(modelPath), path);
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return file;
  }
  const folder = realpathSync(dirname(modelPath));
  if (!isInside(folder, relative(folder, real))) {
    throw new FormatError(`${modelPath}: weightsManifest`, "weight files inside the model's folder", `${JSON.stringify(path)}, a link to ${real}, outside ${folder}`);
  }
  return real;
}

/** Checks that `modelJson` is a tfjs model.json: an object with `modelTopology` and `weightsManifest`, saying which is missing. */
function checkModelJson(modelJson: unknown, modelPath: string): asserts modelJson is { modelTopology: object; weightsManifest: unknown[] } {
  const expected = 'a tfjs model.json: an object with modelTopology and weightsManifest';
  if (!isPlainObject(modelJson)) throw new FormatError(modelPath, expected, Array.isArray(modelJson) ? 'a list' : `${typeof modelJson}`);
  const problems = [
    !isPlainObject(modelJson.modelTopology) && `modelTopology ${modelJson.modelTopology === undefined ? 'missing' : 'not an object'}`,
    !Array.isArray(modelJson.weightsManifest) && `weightsManifest ${modelJson.weightsManifest === undefined ? 'missing' : 'not a list'}`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new FormatError(modelPath, expected, problems.join(', '));
}

/** The files a tfjs `model.json` (parsed) is made of: itself and the weight files its manifest lists. */
export function tfjsModelSources(modelJson: Record<string, unknown>, modelPath: string): string[] {
  const manifest = Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : [];
  return [modelPath, ...checkManifest(manifest, modelPath).paths.map((path) => join(dirname(modelPath), path))];
}

/**
 * The weight file paths and specs of `model.json`'s `weightsManifest`, checked: paths that stay
 * in the model's folder, and float32 weights with shapes.
 */
function checkManifest(manifest: unknown[], modelPath: string): { paths: string[]; weights: tf.io.WeightsManifestEntry[] } {
  const where = `${modelPath}: weightsManifest`;
  if (!manifest.every((group) => isPlainObject(group) && Array.isArray(group.paths) && Array.isArray(group.weights))) {
    throw new FormatError(where, 'a list of {paths: [..], weights: [..]}', JSON.stringify(manifest).slice(0, 40));
  }
  const groups = manifest as { paths: unknown[]; weights: unknown[] }[];
  const unlisted = groups.findIndex((group) => group.weights.length > 0 && group.paths.length === 0);
  if (unlisted >= 0) {
    throw new FormatError(`${where}[${unlisted}]`, 'the weight files of its weights in paths', `"paths": [] for ${groups[unlisted].weights.length} weights`);
  }
  const paths = groups.flatMap((group) => group.paths);
  const outside = paths.find((path) => typeof path !== 'string' || !isInside(dirname(modelPath), path));
  if (outside !== undefined) throw new FormatError(where, "weight file paths inside the model's folder", JSON.stringify(outside));
  const weights = groups.flatMap((group) => group.weights);
  const bad = weights.find((spec) => !isPlainObject(spec) || spec.dtype !== 'float32' || spec.quantization !== undefined || !isShape(spec.shape));
  if (bad !== undefined) throw new FormatError(where, 'unquantized float32 weights with shapes, as convert --to tfjs writes them', JSON.stringify(bad).slice(0, 80));
  return { paths: paths as string[], weights: weights as tf.io.WeightsManifestEntry[] };
}

/** A model written by `saveTfjsModel`: the state dict (`b_hh` zero, see `kerasToTorch`) and the recorded arguments. */
export interface TfjsWeights {
  tensors: Record<string, HostArray>;
  recordedArgs: unknown;
}

/** An exported layer's recurrent layer: its Keras class and config (the wrapped layer's of a Bidirectional). */
function recurrentLayer(layer: tfl.layers.Layer): { className: string; config: Record<string, unknown> } {
  const config = layer.getConfig() as Record<string, unknown>;
  const wrapped = config.layer as { className: string; config: Record<string, unknown> } | undefined;
  return wrapped ?? { className: layer.getClassName(), config };
}

/** The Keras class `stackedLayer` gives each layer of `config`, and the settings that make it compute PyTorch's step. */
function expectedRecurrentLayer(config: FullRNNConfig): { className: string; settings: Record<string, unknown> } {
  if (config.mode === 'RNN') return { className: 'SimpleRNN', settings: { activation: config.nonlinearity, useBias: config.bias } };
  const gated = { activation: 'tanh', recurrentActivation: 'sigmoid', useBias: config.bias };
  if (config.mode === 'GRU') return { className: 'GRU', settings: { ...gated, resetAfter: true } };
  if (config.projSize > 0) return { className: 'LSTMProjection', settings: { ...gated, projectionUnits: config.projSize } };
  return { className: 'LSTM', settings: gated };
}

/** `LSTM, activation 'tanh', useBias true`. */
function describeLayer(className: string, settings: Record<string, unknown>): string {
  return [className, ...Object.entries(settings).map(([key, value]) => `${key} ${typeof value === 'string' ? `'${value}'` : String(value)}`)].join(', ');
}

/** Checks that the loaded model is the one `saveTfjsModel` writes for `config`, layer by layer. */
function checkStructure(model: tfl.LayersModel, config: FullRNNConfig, source: string): tfl.layers.Layer[] {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const expected = expectedRecurrentLayer(config);
  const expectedClass = config.bidirectional ? 'Bidirectional' : expected.className;
  const prefix = config.bidirectional ? 'bidirectional' : 'rnn';
  const names = layers.map((layer) => `${layer.name} (${layer.getClassName()})`).join(', ');
  const expectedNames = Array.from({ length: config.numLayers }, (_, layer) => `${prefix}_l${layer} (${expectedClass})`).join(', ');
  if (names !== expectedNames) throw new FormatError(source, `the layers ${expectedNames}, as convert --to tfjs writes them`, names || 'none');
  layers.forEach((layer) => {
    const { className, config: layerConfig } = recurrentLayer(layer);
    const actual = Object.fromEntries(Object.keys(expected.settings).map((key) => [key, layerConfig[key]]));
    if (className !== expected.className || Object.entries(expected.settings).some(([key, value]) => actual[key] !== value)) {
      throw new FormatError(`${source}: ${layer.name}`, describeLayer(expected.className, expected.settings), describeLayer(className, actual));
    }
  });
  return layers;
}

/** The mode of each Keras class `saveTfjsModel` writes. */
const LAYER_MODES = new Map<string, Mode>([
  ['SimpleRNN', 'RNN'],
  ['LSTM', 'LSTM'],
  ['LSTMProjection', 'LSTM'],
  ['GRU', 'GRU'],
]);

/**
 * Recorded arguments without a `mode` take the layers' (`LSTM`, `LSTMProjection` or `GRU`), and
 * `proj_size` from `LSTMProjection`'s `projectionUnits` when absent; an RNN's stay as they are.
 */
function withLayerMode(args: unknown, model: tfl.LayersModel): unknown {
  const first = model.layers.find((layer) => layer.getClassName() !== 'InputLayer');
  if (!isPlainObject(args) || first === undefined) return args;
  const { className, config } = recurrentLayer(first);
  const mode = LAYER_MODES.get(className);
  if (mode === undefined || mode === 'RNN') return args;
  return { mode, ...(className === 'LSTMProjection' && { proj_size: config.projectionUnits }), ...args };
}

/**
 * Reads a model written by `saveTfjsModel` through `tf.loadLayersModel`, as a PyTorch state
 * dict for `config(recordedArgs)`. `parseConfig` turns the recorded arguments (their mode and
 * proj_size from the layer classes when absent, see `withLayerMode`) into a config.
 */
export async function loadTfjsModel(modelPath: string, parseConfig: (args: unknown) => FullRNNConfig): Promise<TfjsWeights> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileIOHandler(modelPath));
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(modelPath, 'a tfjs LayersModel', (error as Error).message);
  }
  try {
    const metadataArgs = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[CONFIG_KEY];
    if (metadataArgs === undefined) throw new FormatError(modelPath, `the nn.RNN arguments in userDefinedMetadata['${CONFIG_KEY}']`, 'none');
    const recordedArgs = withLayerMode(metadataArgs, model);
    const config = parseConfig(recordedArgs);
    const stateDict = tf.tidy(() => {
      try {
        const layers = checkStructure(model, config, modelPath);
        return kerasToTorch(groupKerasWeights(layers.map((layer) => layer.getWeights()), config), config);
      } catch (error) {
        if (error instanceof ArgumentError && !(error instanceof FormatError)) {
          throw new FormatError(`${modelPath}: ${error.argument}`, error.expected, error.actual);
        }
        throw error;
      }
    });
    const tensors = toHostArrays(stateDict);
    tf.dispose(Object.values(stateDict));
    return { tensors, recordedArgs };
  } finally {
    model.dispose();
  }
}
