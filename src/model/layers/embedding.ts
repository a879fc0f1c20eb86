import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelSpecError } from '../../errors';
import { LayerType, moduleParameters, parameterMap, tensorOf, variableOf } from './layerType';

/**
 * `weight[ids]` with PyTorch's gradient: `dW = onehot(ids)ᵀ · dy` (a matMul, which every backend
 * has; gather's own gradient needs UnsortedSegmentSum, which wasm lacks), the `padding` row's zero.
 */
function embeddingLookup(padding: number | undefined): (weight: tf.Tensor, ids: tf.Tensor) => tf.Tensor {
  return tf.customGrad((weight, ids, save) => {
    const [vocabulary, features] = (weight as tf.Tensor).shape;
    (save as tf.GradSaveFunc)([ids as tf.Tensor]);
    return {
      value: tf.gather(weight as tf.Tensor, ids as tf.Tensor),
      gradFunc: (dy, [savedIds]) => {
        let rows = tf.cast(tf.oneHot(tf.reshape(savedIds, [-1]) as tf.Tensor1D, vocabulary), 'float32') as tf.Tensor2D;
        if (padding !== undefined) rows = tf.mul(rows, tf.sub(1, tf.cast(tf.oneHot([padding], vocabulary), 'float32'))) as tf.Tensor2D;
        return [tf.matMul(rows, tf.reshape(dy as tf.Tensor, [-1, features]) as tf.Tensor2D, true, false), tf.zerosLike(savedIds)];
      },
    };
  }) as unknown as (weight: tf.Tensor, ids: tf.Tensor) => tf.Tensor;
}

/**
 * `nn.Embedding(V, E)`: `out[n, t] = weight[ids[n, t]]`, `[N, L]` ids → `[N, L, E]`.
 * `padding_idx` changes only the gradient: its row's is zero, as PyTorch's.
 * Twin: `tf.layers.embedding` with `embeddings = weight`.
 */
export const EMBEDDING: LayerType = {
  type: 'Embedding',
  named: true,
  fields: {
    padding_idx: { check: (value) => value === null || (typeof value === 'number' && Number.isInteger(value)), expected: 'an integer (or null)', default: null },
  },
  accepts: ['ids'],
  outputKind: () => 'sequence',
  bind(layer, _input, module) {
    const { weight } = moduleParameters(layer, module, { weight: 2 });
    const [vocabulary, features] = weight.shape;
    const padding = layer.options.padding_idx as number | null;
    if (padding !== null && (padding < -vocabulary || padding >= vocabulary)) {
      throw new ModelSpecError(`layers[${layer.index}].padding_idx`, `an integer in [${-vocabulary}, ${vocabulary}) (${layer.name}.weight has ${vocabulary} rows)`, String(padding));
    }
    return { layer, parameters: { weight }, inputFeatures: vocabulary, output: { kind: 'sequence', features } };
  },
  manual(bound) {
    const weight = variableOf(bound.parameters.weight);
    const padding = bound.layer.options.padding_idx as number | null;
    const lookup = embeddingLookup(padding === null ? undefined : padding < 0 ? padding + weight.shape[0] : padding);
    return {
      forward: (flow) => ({ kind: 'sequence', tensor: lookup(weight, flow.tensor) }),
      parameters: parameterMap({ weight }),
      dispose: () => weight.dispose(),
    };
  },
  twin(bound, flow, name) {
    const [inputDim, outputDim] = bound.parameters.weight.shape;
    const layer = tfl.layers.embedding({ inputDim, outputDim, name });
    return { flow: { kind: 'sequence', tensor: layer.apply(flow.tensor) as tfl.SymbolicTensor }, weights: [[layer, [tensorOf(bound.parameters.weight)]]] };
  },
};
