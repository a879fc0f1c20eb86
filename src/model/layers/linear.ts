import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { formatShape } from '../../errors';
import { LayerType, layerWeightsError, moduleParameters, parameterMap, tensorOf, variableOf } from './layerType';

/** `x` `[…, F]` as `[rows, F]`, `f` of it, and the result back in `x`'s leading axes. */
export function onLastAxis(x: tf.Tensor, f: (rows: tf.Tensor2D) => tf.Tensor2D): tf.Tensor {
  const features = x.shape[x.rank - 1];
  const rows = f(tf.reshape(x, [-1, features]));
  return tf.reshape(rows, [...x.shape.slice(0, -1), rows.shape[1]]);
}

/**
 * `nn.Linear(in, out)`: `y = x Wᵀ + b` on the last axis (at every step of a sequence),
 * `weight` `[out, in]`, `bias` `[out]` (absent with `bias=False`).
 * Twin: `tf.layers.dense` with `kernel = Wᵀ`, `bias = b`.
 */
export const LINEAR: LayerType = {
  type: 'Linear',
  named: true,
  fields: {},
  accepts: ['sequence', 'vector'],
  outputKind: (input) => input,
  bind(layer, input, module) {
    const parameters = moduleParameters(layer, module, { weight: 2, bias: 1 }, ['bias']);
    const [outFeatures, inFeatures] = parameters.weight.shape;
    if (parameters.bias !== undefined && parameters.bias.shape[0] !== outFeatures) {
      throw layerWeightsError(layer, `${layer.name}.bias: expected shape [${outFeatures}] (${layer.name}.weight ${formatShape(parameters.weight.shape)}), got ${formatShape(parameters.bias.shape)}`);
    }
    return { layer, parameters, inputFeatures: inFeatures, output: { kind: input.kind, features: outFeatures } };
  },
  manual({ parameters }) {
    const weight = variableOf(parameters.weight) as tf.Variable<tf.Rank.R2>;
    const bias = parameters.bias && variableOf(parameters.bias);
    return {
      parameters: parameterMap({ weight, bias }),
      forward: (flow) => ({
        kind: flow.kind,
        tensor: onLastAxis(flow.tensor, (rows) => {
          const product: tf.Tensor2D = tf.matMul(rows, weight, false, true);
          return bias ? (tf.add(product, bias) as tf.Tensor2D) : product;
        }),
      }),
      dispose: () => tf.dispose([weight, ...(bias ? [bias] : [])]),
    };
  },
  twin({ parameters, output }, flow, name) {
    const layer = tfl.layers.dense({ units: parameters.weight.shape[0], useBias: parameters.bias !== undefined, name });
    const kernel = tf.tidy(() => tf.transpose(tensorOf(parameters.weight)));
    const weights = parameters.bias ? [kernel, tensorOf(parameters.bias)] : [kernel];
    return { flow: { kind: output.kind, tensor: layer.apply(flow.tensor) as tfl.SymbolicTensor }, weights: [[layer, weights]] };
  },
};
