import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { validStepMask } from '../../shapes';
import { Flow, ForwardContext } from '../flow';
import { LayerType, weightless } from './layerType';

/**
 * The selections people write after a recurrent layer: a sequence `[N, L, F]` to one vector
 * per sequence `[N, F]`, over each sequence's valid steps (all `L` without lengths).
 * Their twins are small Keras layers (registered, so a saved model loads) taking Keras's mask
 * `[N, L]` (true at valid steps) as the recurrent layers do.
 */

/** How a selection reduces the valid steps: on tf ops with `lengths`, or with Keras's boolean mask. */
interface Reduction {
  /** Without lengths (every step valid). */
  all(x: tf.Tensor3D): tf.Tensor2D;
  /** With `mask` `[N, L]` (1 at valid steps, 0 after) and `lengths` `[N]` as float32 `[N, 1]`. */
  valid(x: tf.Tensor3D, mask: tf.Tensor2D, lengths: tf.Tensor2D): tf.Tensor2D;
}

/** By lower-case name: a saved model's config keeps strings as snake_case, which these stay. */
const REDUCTIONS: Record<'last' | 'mean' | 'max', Reduction> = {
  /** `out[:, −1]`, with lengths `out[arange(N), lengths − 1]` (a one-hot sum: exact). */
  last: {
    all: (x) => tf.squeeze(tf.slice(x, [0, x.shape[1] - 1, 0], [-1, 1, -1]), [1]),
    valid: (x, _mask, lengths) => {
      const last = tf.oneHot(tf.cast(tf.sub(tf.squeeze(lengths, [1]), 1), 'int32'), x.shape[1]);
      return tf.sum(tf.mul(x, tf.expandDims(last, 2)), 1);
    },
  },
  /** `Σ_t out[:, t] / lengths` over valid steps. */
  mean: {
    all: (x) => tf.mean(x, 1),
    valid: (x, mask, lengths) => tf.div(tf.sum(tf.mul(x, tf.expandDims(mask, 2)), 1), lengths),
  },
  /** `max_t out[:, t]` over valid steps. */
  max: {
    all: (x) => tf.max(x, 1),
    valid: (x, mask) => tf.max(tf.where(tf.expandDims(tf.cast(mask, 'bool'), 2), x, tf.fill(x.shape, -Infinity)), 1),
  },
};

/** The Keras layer of a reduction: `call(sequence, {mask})`, mask optional. */
export class SequenceReduction extends tfl.layers.Layer {
  static className = 'SequenceReduction';
  readonly reduction: keyof typeof REDUCTIONS;

  constructor(args: { reduction: keyof typeof REDUCTIONS; name?: string }) {
    super(args);
    this.reduction = args.reduction;
    this.supportsMasking = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = inputShape as tfl.Shape;
    return [shape[0], shape[2]];
  }

  computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // One vector per sequence: no steps left to mask.
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const reduction = REDUCTIONS[this.reduction];
      if (kwargs.mask === undefined || kwargs.mask === null) return reduction.all(x);
      const mask = tf.cast(kwargs.mask, 'float32') as tf.Tensor2D;
      return reduction.valid(x, mask, tf.sum(mask, 1, true));
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), reduction: this.reduction };
  }
}
tf.serialization.registerClass(SequenceReduction);

function reductionType(type: 'Last' | 'Mean' | 'Max'): LayerType {
  const name = type.toLowerCase() as keyof typeof REDUCTIONS;
  const reduce = (flow: Flow, context: ForwardContext): Flow => {
    const x = flow.tensor as tf.Tensor3D;
    const mask = context.lengths && validStepMask(context.lengths, context.seqLen, false);
    const reduction = REDUCTIONS[name];
    if (!mask || !context.lengths) return { kind: 'vector', tensor: reduction.all(x) };
    return { kind: 'vector', tensor: reduction.valid(x, mask, tf.tensor2d(Float32Array.from(context.lengths), [context.lengths.length, 1])) };
  };
  return {
    type,
    named: false,
    fields: {},
    accepts: ['sequence'],
    outputKind: () => 'vector',
    bind: (layer, input) => weightless(layer, input, 'vector'),
    manual: () => ({ forward: (flow, context) => reduce(flow, context), dispose: () => undefined }),
    twin: (_bound, flow, layerName) => ({ flow: { kind: 'vector', tensor: new SequenceReduction({ reduction: name, name: layerName }).apply(flow.tensor) as tfl.SymbolicTensor }, weights: [] }),
  };
}

export const LAST = reductionType('Last');
export const MEAN = reductionType('Mean');
export const MAX = reductionType('Max');

/**
 * The final hidden state of the recurrent layer just before: `h_n[−1]`, or
 * `cat(h_n[−2], h_n[−1])` (last layer, both directions) when bidirectional; with lengths the
 * packed sequence's `h_n` (each sequence's state after its last valid step). `[N, D·H_out]`.
 * The recurrent layer (or its twin) leaves it on the flow.
 */
export const FINAL_HIDDEN: LayerType = {
  type: 'FinalHidden',
  named: false,
  fields: {},
  accepts: ['sequence'],
  outputKind: () => 'vector',
  followsRecurrent: true,
  bind: (layer, input) => weightless(layer, input, 'vector', input.finalHidden ?? input.features),
  manual: () => ({ forward: (flow) => ({ kind: 'vector', tensor: flow.finalHidden as tf.Tensor2D }), dispose: () => undefined }),
  twin: (_bound, flow) => ({ flow: { kind: 'vector', tensor: flow.finalHidden as tfl.SymbolicTensor }, weights: [] }),
};
