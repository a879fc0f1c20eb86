import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FullRNNConfig, Mode, checkConfig, numDirections, outputSize } from '../../config';
import { WeightsError } from '../../errors';
import { HostArray, inferConfig, toTensors } from '../../formats/browser';
import { stackedLayer, zeroInitializers } from '../../layers/build';
import { layerKerasTensors } from '../../layers/model';
import { ManualModel, ManualOptions, createManualModel } from '../../manual';
import { torchToKeras } from '../../mapping';
import { KerasWeights } from '../../mapping/kerasWeights';
import { LastLayerHidden, ZeroPaddedSteps } from './graphLayers';
import { StreamingRNN } from '../../streaming';
import { BoundLayer, FIELDS, FieldSpec, LayerForward, LayerType, layerWeightsError } from './layerType';

/**
 * `nn.RNN`, `nn.LSTM`, `nn.GRU` inside a model: sizes, layers, directions, bias and
 * `proj_size` from the weights under the entry's name (`inferConfig`), `nonlinearity` (RNN) and
 * `dropout` from the entry (dropout acts in training only). Runs batch-first over `[N, L, F]`
 * with packed semantics under lengths (padded steps of the output zero, `h_n` each sequence's
 * after its own last step). Hand-written: the package's `ManualModel`; twin: its Keras layer per
 * stacked layer (`stackedLayer`, as `LayersModel` builds them) under Keras's mask, with the
 * weights mapped by `torchToKeras`, padded steps zeroed (`ZeroPaddedSteps`).
 */

/** The configuration of a bound recurrent layer: what its weights say and its entry adds. */
export function recurrentConfig(bound: BoundLayer): FullRNNConfig {
  const { nonlinearity, dropout } = bound.layer.options as { nonlinearity?: 'tanh' | 'relu'; dropout: number };
  return checkConfig({ ...inferConfig(bound.parameters), ...(nonlinearity && { nonlinearity }), dropout, batchFirst: true });
}

/** The hand-written model of a bound recurrent layer, in eval mode, its weights loaded (batch-first); owned by the caller. */
export function manualRecurrentModel(bound: BoundLayer, options?: ManualOptions): ManualModel {
  const tensors = toTensors(bound.parameters);
  try {
    const model = createManualModel(recurrentConfig(bound), options).eval();
    model.loadStateDict(tensors);
    return model;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** `h_n` `[D·layers, N, H_out]` → `h_n[−1]`, or `cat(h_n[−2], h_n[−1])` for D = 2: `[N, D·H_out]`. */
function lastLayerHidden(hN: tf.Tensor, config: FullRNNConfig): tf.Tensor2D {
  const directions = numDirections(config);
  return tf.concat(tf.unstack(hN).slice(-directions), 1) as tf.Tensor2D;
}

/**
 * Runs the hand-written recurrent model as a layer; `model` is disposed with it. Its stream
 * (unidirectional only) continues from the state the previous call ended in (`StreamingRNN`).
 */
function recurrentForward(model: ManualModel, config: FullRNNConfig): LayerForward {
  return {
    parameters: model.namedParameters(),
    forward: (flow, context) => {
      const { output, hN } = model.forward(flow.tensor, undefined, { lengths: context.lengths });
      return { kind: 'sequence', tensor: output, finalHidden: lastLayerHidden(hN, config) };
    },
    stream: () => {
      const stream = new StreamingRNN(model);
      return { forward: (flow) => ({ kind: 'sequence', tensor: stream.push(flow.tensor) }), dispose: () => stream.dispose() };
    },
    dispose: () => model.dispose(),
  };
}

function recurrentType(mode: Mode): LayerType {
  const fields: Record<string, FieldSpec> = { dropout: FIELDS.probability(0) };
  if (mode === 'RNN') fields.nonlinearity = { check: (value) => value === 'tanh' || value === 'relu', expected: "'tanh' or 'relu'", default: 'tanh' };
  return {
    type: mode,
    named: true,
    fields,
    accepts: ['sequence'],
    outputKind: () => 'sequence',
    recurrent: true,
    bind(layer, _input, module) {
      let inferred;
      try {
        inferred = inferConfig(module);
      } catch (error) {
        if (error instanceof WeightsError) {
          throw new WeightsError(error.problems.map((problem) => `${layer.label}: ${problem.replace(/'(weight|bias)_/g, `'${layer.name}.$1_`)}`));
        }
        throw error;
      }
      if (inferred.mode !== mode) throw layerWeightsError(layer, `the weights under '${layer.name}.' are an nn.${inferred.mode}'s, not an nn.${mode}'s`);
      const bound: BoundLayer = { layer, parameters: module as Record<string, HostArray>, inputFeatures: inferred.inputSize, output: { kind: 'sequence', features: 0 } };
      const config = recurrentConfig(bound);
      const features = numDirections(config) * outputSize(config);
      return { ...bound, output: { kind: 'sequence', features, finalHidden: features } };
    },
    manual(bound) {
      return recurrentForward(manualRecurrentModel(bound), recurrentConfig(bound));
    },
    twin(bound, flow, name) {
      const config = recurrentConfig(bound);
      const tensors = toTensors(bound.parameters);
      let keras: KerasWeights;
      try {
        keras = torchToKeras(tensors, config);
      } finally {
        tf.dispose(Object.values(tensors));
      }
      // One Keras layer per stacked layer (`stackedLayer`), each taking the mask of the one before;
      // zero initializers, since PyTorch's weights are set right after.
      let sequence = flow.tensor;
      let states: tfl.SymbolicTensor[] = [];
      const weights = keras.map((directions, index): [tfl.layers.Layer, tf.Tensor[]] => {
        const layer = stackedLayer(config, { ...zeroInitializers(), name: `${name}_l${index}` }, `${name}_bidirectional_l${index}`);
        [sequence, ...states] = layer.apply(sequence) as tfl.SymbolicTensor[];
        return [layer, layerKerasTensors(directions)];
      });
      // Keras orders the last layer's states by direction, then state: [h_f, (c_f), h_b, (c_b)].
      const perDirection = states.length / numDirections(config);
      const lastHidden = states.filter((_, position) => position % perDirection === 0);
      const finalHidden = new LastLayerHidden({ name: `${name}_final_hidden` }).apply(lastHidden) as tfl.SymbolicTensor;
      const output = new ZeroPaddedSteps({ name: `${name}_zero_padded` }).apply(sequence) as tfl.SymbolicTensor;
      return { flow: { kind: 'sequence', tensor: output, finalHidden }, weights };
    },
  };
}

export const RNN = recurrentType('RNN');
export const LSTM = recurrentType('LSTM');
export const GRU = recurrentType('GRU');
