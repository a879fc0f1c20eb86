import { ModelSpecError } from '../errors';
import { isPlainObject } from '../formats/isPlainObject';
import { FlowKind } from './flow';
import { LAYER_TYPES, LayerTypeName, layerTypeOf } from './layers';

/**
 * A whole model's forward pass in PyTorch's words, as JSON:
 *
 *     {"batch_first": true, "layers": [
 *       {"type": "Embedding", "name": "embedding"},
 *       {"type": "GRU", "name": "gru", "dropout": 0.2},
 *       {"type": "FinalHidden"},
 *       {"type": "Linear", "name": "fc"}]}
 *
 * `name` is the module's prefix in the state_dict (`gru` reads `gru.weight_ih_l0`, …); every
 * size comes from the weights. Each entry's other fields are the constructor arguments the
 * weights cannot tell (`nonlinearity`, `dropout`, `eps`, `p`, `dim`).
 */
export interface WholeModelSpec {
  /** Input and sequence outputs are `[batch, seq, …]` instead of `[seq, batch, …]`. @default false */
  batch_first?: boolean;
  layers: LayerSpec[];
}

/** One entry of `WholeModelSpec.layers`. */
export interface LayerSpec {
  type: string;
  /** The module's prefix in the state_dict: required by the layers with weights. */
  name?: string;
  [field: string]: unknown;
}

/** A checked entry: its position, type, name and every field with its default filled in. */
export interface CheckedLayer {
  index: number;
  type: LayerTypeName;
  name?: string;
  options: Readonly<Record<string, unknown>>;
  /** `layers[2] (Linear 'fc')`: how errors name it. */
  label: string;
}

export interface CheckedModelSpec {
  batchFirst: boolean;
  layers: CheckedLayer[];
  /** What the model takes: token ids (first layer an Embedding) or float features. */
  inputKind: FlowKind;
  /** What it returns: a value per step (`sequence`) or per sequence (`vector`). */
  outputKind: FlowKind;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${String(value)} (${typeof value})`;
}

const TOP_KEYS = ['batch_first', 'layers'];
const KIND_WORDS: Record<FlowKind, string> = { ids: 'token ids', sequence: 'a sequence', vector: 'one vector per sequence' };

/**
 * Checks a spec (parsed JSON) before any weight is read: known types, each entry's fields and
 * their values, and the order (an Embedding first only, a selection after a sequence, a
 * FinalHidden right after a recurrent layer). Every error is a `ModelSpecError` naming the
 * layer and field (`layers[2].p`), the expected and the actual value.
 */
export function checkModelSpec(spec: unknown): CheckedModelSpec {
  if (!isPlainObject(spec)) throw new ModelSpecError('spec', 'an object {"batch_first", "layers"}', describe(spec));
  for (const key of Object.keys(spec)) {
    if (!TOP_KEYS.includes(key)) throw new ModelSpecError('spec', `only the keys ${TOP_KEYS.join(', ')}`, `'${key}'`);
  }
  const batchFirst = spec.batch_first ?? false;
  if (typeof batchFirst !== 'boolean') throw new ModelSpecError('batch_first', 'a boolean', describe(batchFirst));
  const entries = spec.layers;
  if (!Array.isArray(entries) || entries.length === 0) throw new ModelSpecError('layers', 'a non-empty list of layers', describe(entries));
  const layers = entries.map((entry, index) => checkLayer(entry, index));
  const inputKind: FlowKind = LAYER_TYPES[layers[0].type].accepts.includes('ids') ? 'ids' : 'sequence';
  let kind: FlowKind = inputKind;
  layers.forEach((layer, index) => {
    const type = LAYER_TYPES[layer.type];
    if (!type.accepts.includes(kind)) {
      const accepted = type.accepts.map((accepted) => KIND_WORDS[accepted]).join(' or ');
      const after = index === 0 ? 'the input' : layers[index - 1].label;
      throw new ModelSpecError(`layers[${index}].type`, `a layer taking ${KIND_WORDS[kind]} (what ${after} gives), not '${layer.type}' (takes ${accepted})`, `'${layer.type}'`);
    }
    if (type.followsRecurrent === true && (index === 0 || LAYER_TYPES[layers[index - 1].type].recurrent !== true)) {
      throw new ModelSpecError(`layers[${index}].type`, `'${layer.type}' right after an RNN, LSTM or GRU`, index === 0 ? 'the first layer' : `after ${layers[index - 1].label}`);
    }
    kind = type.outputKind(kind);
  });
  return { batchFirst, layers, inputKind, outputKind: kind };
}

function checkLayer(entry: unknown, index: number): CheckedLayer {
  const at = `layers[${index}]`;
  if (!isPlainObject(entry)) throw new ModelSpecError(at, 'an object {"type", …}', describe(entry));
  const type = layerTypeOf(entry.type, `${at}.type`);
  const { name } = entry;
  if (type.named) {
    if (typeof name !== 'string' || name === '' || name.endsWith('.')) {
      throw new ModelSpecError(`${at}.name`, `the ${type.type} module's prefix in the state_dict (e.g. 'fc' for fc.weight)`, describe(name));
    }
  } else if (name !== undefined && typeof name !== 'string') {
    throw new ModelSpecError(`${at}.name`, 'a string (or nothing)', describe(name));
  }
  const allowed = Object.keys(type.fields);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'type' || key === 'name') continue;
    const field = type.fields[key];
    if (field === undefined) {
      const expected = allowed.length === 0 ? `no field besides type${type.named ? ' and name' : ''} for ${type.type}` : `only the fields type,${type.named ? ' name,' : ''} ${allowed.join(', ')} for ${type.type}`;
      throw new ModelSpecError(`${at}.${key}`, expected, describe(value));
    }
    if (!field.check(value)) throw new ModelSpecError(`${at}.${key}`, field.expected, describe(value));
    options[key] = value;
  }
  for (const [key, field] of Object.entries(type.fields)) {
    if (options[key] !== undefined) continue;
    if (field.default === undefined) throw new ModelSpecError(`${at}.${key}`, `${field.expected} (${type.type} needs it)`, 'nothing');
    options[key] = field.default;
  }
  const label = `${at} (${type.type}${typeof name === 'string' ? ` '${name}'` : ''})`;
  return { index, type: type.type, ...(typeof name === 'string' && { name }), options: Object.freeze(options), label };
}
