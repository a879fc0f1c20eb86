import { WeightsError } from '../errors';
import { HostArray } from '../formats/hostArray';
import { FlowShape } from './flow';
import { BoundLayer, LAYER_TYPES } from './layers';
import { CheckedLayer, CheckedModelSpec } from './spec';

/** The module prefixes of a state_dict's keys (`gru`, `head.0`), in order, for errors. */
function modulePrefixes(stateDict: Record<string, HostArray>): string[] {
  return [...new Set(Object.keys(stateDict).map((key) => (key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '(top level)')))];
}

/** The entries under `layer.name` (`name.` removed from their keys), or a `WeightsError` listing the state_dict's modules. */
function moduleOf(layer: CheckedLayer, stateDict: Record<string, HostArray>): Record<string, HostArray> {
  if (layer.name === undefined) return {};
  const prefix = `${layer.name}.`;
  const module = Object.fromEntries(Object.entries(stateDict).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value]));
  if (Object.keys(module).length === 0) {
    throw new WeightsError([`${layer.label}: no key starting with '${prefix}' in the state_dict (its modules: ${modulePrefixes(stateDict).join(', ') || 'none'})`]);
  }
  return module;
}

/**
 * Binds every layer of `spec` to its weights in `stateDict` (a model's `state_dict`, wrapper
 * prefixes such as `module.` already removed): each layer reads the keys under its name, and
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
