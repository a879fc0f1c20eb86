import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelSpecError } from '../../errors';
import { FIELDS, LayerType, weightless } from './layerType';

/** An elementwise (or feature-axis) layer: its tf ops, and the Keras layer of its twin. */
interface Activation {
  type: string;
  fields?: LayerType['fields'];
  /** Checks the entry's options against its input's rank (sequence 3, vector 2). */
  checkOptions?(options: Readonly<Record<string, unknown>>, rank: number, at: string): void;
  manual(x: tf.Tensor, options: Readonly<Record<string, unknown>>): tf.Tensor;
  twin(options: Readonly<Record<string, unknown>>, name: string): tfl.layers.Layer;
  /** Throws when this tfjs-layers cannot build the twin (`at` names the spec entry). */
  checkTwin?(options: Readonly<Record<string, unknown>>, at: string): void;
}

/** A layer type of an `Activation`: no weights, the same kind out as in. */
function activationType(activation: Activation): LayerType {
  return {
    type: activation.type,
    named: false,
    fields: activation.fields ?? {},
    accepts: ['sequence', 'vector'],
    outputKind: (input) => input,
    bind(layer, input) {
      activation.checkOptions?.(layer.options, input.kind === 'sequence' ? 3 : 2, `layers[${layer.index}]`);
      return weightless(layer, input, input.kind);
    },
    manual: ({ layer }) => ({
      forward: (flow) => ({ kind: flow.kind, tensor: activation.manual(flow.tensor, layer.options) }),
      dispose: () => undefined,
    }),
    twin: ({ layer }, flow, name) => ({ flow: { kind: flow.kind, tensor: activation.twin(layer.options, name).apply(flow.tensor) as tfl.SymbolicTensor }, weights: [] }),
    checkTwin: activation.checkTwin && (({ layer }) => activation.checkTwin?.(layer.options, `layers[${layer.index}]`)),
  };
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * `dim` of `nn.Softmax`/`nn.LogSoftmax`: the feature axis only, `-1` or its index (2 of a
 * sequence `[N, L, F]` or `[L, N, F]`, 1 of a vector `[N, F]`).
 */
function checkFeatureDim(options: Readonly<Record<string, unknown>>, rank: number, at: string): void {
  const dim = options.dim as number;
  if (dim !== -1 && dim !== rank - 1) {
    throw new ModelSpecError(`${at}.dim`, `-1 or ${rank - 1} (the feature axis of its ${rank}-D input; no other axis is supported)`, String(dim));
  }
}

const elementwise = (type: string, manual: (x: tf.Tensor) => tf.Tensor, keras: 'relu' | 'tanh' | 'sigmoid'): LayerType =>
  activationType({ type, manual, twin: (_options, name) => tfl.layers.activation({ activation: keras, name }) });

/** `nn.ReLU`, `nn.Tanh`, `nn.Sigmoid`: elementwise; twins `tf.layers.activation`. */
export const RELU = elementwise('ReLU', (x) => tf.relu(x), 'relu');
export const TANH = elementwise('Tanh', (x) => tf.tanh(x), 'tanh');
export const SIGMOID = elementwise('Sigmoid', (x) => tf.sigmoid(x), 'sigmoid');

/**
 * `nn.GELU(approximate)`: `'none'` (PyTorch's default) `x·Φ(x) = x/2 · (1 + erf(x/√2))`;
 * `'tanh'` `x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))`. Twins: Keras's `gelu`, `gelu_new`.
 */
export const GELU = activationType({
  type: 'GELU',
  fields: { approximate: { check: (value) => value === 'none' || value === 'tanh', expected: "'none' or 'tanh'", default: 'none' } },
  manual: (x, { approximate }) =>
    approximate === 'tanh'
      ? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_TWO_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))
      : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF)))),
  twin: ({ approximate }, name) => tfl.layers.activation({ activation: geluActivation(approximate), name }),
  checkTwin: ({ approximate }, at) => {
    try {
      // An activation layer holds no weights: building one only asks tfjs-layers for the function.
      tfl.layers.activation({ activation: geluActivation(approximate) });
    } catch {
      throw new ModelSpecError(
        `${at}.type`,
        `a layer the tf.layers twin can build: Keras's '${geluActivation(approximate)}' activation, in tfjs-layers 4.19.0 and later (ManualWholeModel runs GELU on any 4.x)`,
        `'GELU' with tfjs-layers ${tfl.version_layers}`,
      );
    }
  },
});

/** Keras's activation for `nn.GELU(approximate)`. */
function geluActivation(approximate: unknown): 'gelu' | 'gelu_new' {
  return approximate === 'tanh' ? 'gelu_new' : 'gelu';
}

/** `nn.Softmax(dim)` over the features: `exp(x_i) / Σ_j exp(x_j)`; twin Keras's `softmax` activation. */
export const SOFTMAX = activationType({
  type: 'Softmax',
  fields: { dim: FIELDS.dim() },
  checkOptions: checkFeatureDim,
  manual: (x) => tf.softmax(x, -1),
  // Keras's `activation` layer, not `tf.layers.softmax`, which would apply a step mask to a vector.
  twin: (_options, name) => tfl.layers.activation({ activation: 'softmax', name }),
});

/** `nn.LogSoftmax(dim)` over the features: `x_i − log Σ_j exp(x_j)`; twin Keras's `logSoftmax` activation. */
export const LOG_SOFTMAX = activationType({
  type: 'LogSoftmax',
  fields: { dim: FIELDS.dim() },
  checkOptions: checkFeatureDim,
  manual: (x) => tf.logSoftmax(x, -1),
  twin: (_options, name) => tfl.layers.activation({ activation: 'logSoftmax' as 'softmax', name }),
});

/**
 * `nn.Dropout(p)`: the identity, as in eval mode (models here run inference only).
 * Twin: `tf.layers.dropout`, called without training.
 */
export const DROPOUT: LayerType = {
  type: 'Dropout',
  named: false,
  fields: { p: FIELDS.probability(0.5) },
  accepts: ['sequence', 'vector'],
  outputKind: (input) => input,
  bind: (layer, input) => weightless(layer, input, input.kind),
  manual: () => ({ forward: (flow) => ({ kind: flow.kind, tensor: flow.tensor }), dispose: () => undefined }),
  twin: ({ layer }, flow, name) => {
    // tfjs refuses rate 1, which PyTorch allows; at inference any rate is the identity.
    const keras = tfl.layers.dropout({ rate: Math.min(layer.options.p as number, 0.999), name });
    return { flow: { kind: flow.kind, tensor: keras.apply(flow.tensor) as tfl.SymbolicTensor }, weights: [] };
  },
};
