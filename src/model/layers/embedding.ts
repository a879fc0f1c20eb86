import * as tf from '@tensorflow/tfjs';
import { ModelSpecError } from '../../errors';
import { LayerType, moduleParameters, tensorOf } from './layerType';

/**
 * `nn.Embedding(V, E)`: `out[n, t] = weight[ids[n, t]]`, `[N, L]` ids → `[N, L, E]`.
 * `padding_idx` changes only training, so it is checked and kept for the record.
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
    const weight = tensorOf(bound.parameters.weight);
    return {
      forward: (flow) => ({ kind: 'sequence', tensor: tf.gather(weight, flow.tensor) }),
      dispose: () => weight.dispose(),
    };
  },
  twin(bound, flow, name) {
    const [inputDim, outputDim] = bound.parameters.weight.shape;
    const layer = tf.layers.embedding({ inputDim, outputDim, name });
    return { flow: { kind: 'sequence', tensor: layer.apply(flow.tensor) as tf.SymbolicTensor }, weights: [[layer, [tensorOf(bound.parameters.weight)]]] };
  },
};
