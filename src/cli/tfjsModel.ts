import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FullRNNConfig, Mode, layerInputSize, toTorchArgs } from '../config';
import { ArgumentError, FormatError } from '../errors';
import { HostArray, toHostArrays, toTensors } from '../formats';
import { isPlainObject } from '../formats/isPlainObject';
import { fileIOHandler, tfjsModelFiles } from '../formats/modelFiles';
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
