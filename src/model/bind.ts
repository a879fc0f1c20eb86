import { WeightsError } from '../errors';
import { HostArray } from '../formats/hostArray';
import { selectModule } from '../formats/modules';
import { FlowShape } from './flow';
import { BoundLayer, LAYER_TYPES } from './layers';
import { CheckedLayer, CheckedModelSpec } from './spec';

/** The entries under `layer.name`, its prefix removed from their keys (`selectModule`: a `PrefixError` listing the modules there are). */
function moduleOf(layer: CheckedLayer, stateDict: Record<string, HostArray>): Record<string, HostArray> {
  return layer.name === undefined ? {} : selectModule(stateDict, layer.name, `layers[${layer.index}].name`);
}

/**
 * Binds every layer of `spec` to its weights in `stateDict` (a model's `state_dict`, wrapper
 * prefixes such as `module.` are ignored): each layer reads the keys under its name, and
 * what it takes must be what the layer before gives (`features`: the weights' sizes).
 * Throws a `WeightsError` naming the layer, or a `ModelSpecError` for an option the weights
 * contradict, before any tensor is made. Keys no layer names are left alone.
 */
export function bindModel(spec: CheckedModelSpec, stateDict: Record<string, HostArray>): BoundLayer[] {
  let shape: FlowShape = { kind: spec.inputKind, features: 0 };
  return spec.layers.map((layer, index) => {
    const bound = LAYER_TYPES[layer.type].bind(layer, shape, moduleOf(layer, stateDict));
    // Features 0: not known before the call (the input's, before any layer with weights).
    if (shape.kind !== 'ids' && shape.features > 0 && bound.inputFeatures !== undefined && bound.inputFeatures !== shape.features) {
      throw new WeightsError([
        `${layer.label}: expected inputs of ${bound.inputFeatures} features (its weights), got ${shape.features} from ${spec.layers[index - 1].label}`,
      ]);
    }
    shape = bound.output;
    return bound;
  });
}
