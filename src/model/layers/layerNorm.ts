import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { formatShape } from '../../errors';
import { FIELDS, LayerType, layerWeightsError, moduleParameters, parameterMap, tensorOf, variableOf } from './layerType';

/**
 * `nn.LayerNorm(F, eps)` over the last axis: `y = (x − E[x]) / √(Var[x] + eps) · weight + bias`,
 * the variance biased (÷F), as PyTorch; `weight`, `bias` `[F]` (absent with
 * `elementwise_affine=False`). Twin: `tf.layers.layerNormalization` with `epsilon = eps`,
 * `gamma = weight`, `beta = bias`.
 */
export const LAYER_NORM: LayerType = {
  type: 'LayerNorm',
  named: true,
  fields: { eps: FIELDS.positive(1e-5) },
  accepts: ['sequence', 'vector'],
  outputKind: (input) => input,
  bind(layer, input, module) {
    const parameters = moduleParameters(layer, module, { weight: 1, bias: 1 }, ['weight', 'bias']);
    const shapes = Object.values(parameters).map((parameter) => parameter.shape[0]);
    if (shapes.length === 0) {
      return { layer, parameters, output: { kind: input.kind, features: input.features } };
    }
    if (shapes.some((size) => size !== shapes[0])) {
      throw layerWeightsError(layer, `expected weight and bias of one shape, got ${Object.entries(parameters).map(([key, { shape }]) => `${key} ${formatShape(shape)}`).join(', ')}`);
    }
    return { layer, parameters, inputFeatures: shapes[0], output: { kind: input.kind, features: shapes[0] } };
  },
  manual({ layer, parameters }) {
    const eps = layer.options.eps as number;
    const weight = parameters.weight && variableOf(parameters.weight);
    const bias = parameters.bias && variableOf(parameters.bias);
    return {
      parameters: parameterMap({ weight, bias }),
      forward: (flow) => {
        const axis = flow.tensor.rank - 1;
        const centered = tf.sub(flow.tensor, tf.mean(flow.tensor, axis, true));
        const variance = tf.mean(tf.square(centered), axis, true);
        let y = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
        if (weight) y = tf.mul(y, weight);
        if (bias) y = tf.add(y, bias);
        return { kind: flow.kind, tensor: y };
      },
      dispose: () => tf.dispose([weight, bias].filter((tensor): tensor is tf.Variable => tensor !== undefined)),
    };
  },
  twin({ layer: entry, parameters, output }, flow, name) {
    const layer = tfl.layers.layerNormalization({ axis: -1, epsilon: entry.options.eps as number, scale: parameters.weight !== undefined, center: parameters.bias !== undefined, name });
    // Keras keeps gamma, then beta.
    const weights = [parameters.weight, parameters.bias].flatMap((weight) => (weight === undefined ? [] : [tensorOf(weight)]));
    return { flow: { kind: output.kind, tensor: layer.apply(flow.tensor) as tfl.SymbolicTensor }, weights: weights.length > 0 ? [[layer, weights]] : [] };
  },
};
