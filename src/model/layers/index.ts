import { ModelSpecError } from '../../errors';
import { GELU, DROPOUT, LOG_SOFTMAX, RELU, SIGMOID, SOFTMAX, TANH } from './activation';
import { EMBEDDING } from './embedding';
import { LAYER_NORM } from './layerNorm';
import { LayerType } from './layerType';
import { LINEAR } from './linear';
import { GRU, LSTM, RNN } from './recurrent';
import { FINAL_HIDDEN, LAST, MAX, MEAN } from './selection';

export { BoundLayer, FieldSpec, LayerForward, LayerType } from './layerType';
export { SequenceReduction } from './selection';

/** Every layer type a spec may name, by PyTorch's class name; nothing else knows a layer type. */
export const LAYER_TYPES = {
  Embedding: EMBEDDING,
  RNN,
  LSTM,
  GRU,
  Linear: LINEAR,
  LayerNorm: LAYER_NORM,
  Dropout: DROPOUT,
  ReLU: RELU,
  Tanh: TANH,
  Sigmoid: SIGMOID,
  GELU,
  Softmax: SOFTMAX,
  LogSoftmax: LOG_SOFTMAX,
  Last: LAST,
  FinalHidden: FINAL_HIDDEN,
  Mean: MEAN,
  Max: MAX,
} as const satisfies Record<string, LayerType>;

export type LayerTypeName = keyof typeof LAYER_TYPES;

/** The layer type `name` names, or a `ModelSpecError` listing them. */
export function layerTypeOf(name: unknown, argument: string): LayerType & { type: LayerTypeName } {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(LAYER_TYPES, name)) {
    throw new ModelSpecError(argument, `one of ${Object.keys(LAYER_TYPES).join(', ')}`, typeof name === 'string' ? `'${name}'` : String(name));
  }
  return LAYER_TYPES[name as LayerTypeName] as LayerType & { type: LayerTypeName };
}
