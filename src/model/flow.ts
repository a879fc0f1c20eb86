import * as tf from '@tensorflow/tfjs-core';

/**
 * What passes from one layer to the next. Sequences are batch-major inside a model, whatever
 * the caller's layout; symbols as in PyTorch's docs (N batch, L steps, F features).
 * - `ids`: `[N, L]` int32 token ids (the input of an Embedding);
 * - `sequence`: `[N, L, F]` float32, a value per step;
 * - `vector`: `[N, F]` float32, a value per sequence (after a selection such as `Last`).
 */
export type FlowKind = 'ids' | 'sequence' | 'vector';

/** A flow's kind and its features `F` (for ids: 0). */
export interface FlowShape {
  kind: FlowKind;
  features: number;
  /** Features of the final hidden state a recurrent layer leaves for `FinalHidden`. */
  finalHidden?: number;
}

/** A flow's value. */
export interface Flow {
  kind: FlowKind;
  tensor: tf.Tensor;
  /** After a recurrent layer: `h_n[−1]`, or `cat(h_n[−2], h_n[−1])` when bidirectional, `[N, D·H_out]`. */
  finalHidden?: tf.Tensor2D;
}

/** What every layer of one call sees besides its input. */
export interface ForwardContext {
  /** `[N]` valid steps of each sequence (packed semantics), when given. */
  lengths?: Int32Array;
  /** Steps `L` of the call. */
  seqLen: number;
}

