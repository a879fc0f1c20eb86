import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BoundLayer, LAYER_TYPES } from './layers';
import { LengthsMask, SwapBatchAxes } from './layers/graphLayers';
import { SymbolicFlow } from './layers/layerType';
import { CheckedModelSpec } from './spec';

/** The names of the twin's inputs. */
export const TWIN_INPUTS = { input: 'input', lengths: 'lengths' } as const;

/**
 * A whole model's tf.layers twin as one `tf.LayersModel`, which `model.save` writes and
 * `tf.loadLayersModel` reads back (the package registers its custom layers). Inputs, in the
 * spec's layout: `input` (token ids `[N, L]` int32, or features `[N, L, F]`; `[L, N, …]`
 * time-major) and `lengths` `[N, 1]` (float32; `L` for every whole sequence). Output as
 * `ManualWholeModel.predict` returns it. Layers are named `l{index}…` after their spec entry.
 * Batch-first models run with `predict`; time-major ones with `execute` (their inputs' first
 * axes differ, which `predict`'s batching refuses).
 */
export function buildTwinModel(spec: CheckedModelSpec, bound: readonly BoundLayer[]): tfl.LayersModel {
  bound.forEach((layer) => LAYER_TYPES[layer.layer.type].checkTwin?.(layer));
  const ids = spec.inputKind === 'ids';
  const features = bound[0].inputFeatures ?? null;
  const input = tfl.input({ shape: ids ? [null] : [null, features], dtype: ids ? 'int32' : 'float32', name: TWIN_INPUTS.input });
  const lengths = tfl.input({ shape: [1], name: TWIN_INPUTS.lengths });
  let flow: SymbolicFlow = { kind: spec.inputKind, tensor: spec.batchFirst ? input : (new SwapBatchAxes({ name: 'to_batch_major' }).apply(input) as tfl.SymbolicTensor) };
  let masked = false;
  const weights: [tfl.layers.Layer, tf.Tensor[]][] = [];
  try {
    bound.forEach((layer, index) => {
      if (!masked && flow.kind === 'sequence') {
        flow = { ...flow, tensor: new LengthsMask({ name: 'lengths_mask' }).apply([flow.tensor, lengths]) as tfl.SymbolicTensor };
        masked = true;
      }
      const part = LAYER_TYPES[layer.layer.type].twin(layer, flow, `l${index}${layer.layer.name === undefined ? '' : `_${layer.layer.name.replace(/[^A-Za-z0-9_]/g, '_')}`}`);
      flow = part.flow;
      weights.push(...part.weights);
    });
    const output = flow.kind === 'sequence' && !spec.batchFirst ? (new SwapBatchAxes({ name: 'to_time_major' }).apply(flow.tensor) as tfl.SymbolicTensor) : flow.tensor;
    const model = tfl.model({ inputs: [input, lengths], outputs: output, name: 'whole_model' });
    weights.forEach(([layer, tensors]) => layer.setWeights(tensors));
    return model;
  } finally {
    weights.forEach(([, tensors]) => tf.dispose(tensors));
  }
}
