import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig } from '../config';
import { ForwardOptions } from './lengths';
import { InitialState } from './state';

/**
 * What a forward pass returns, shaped as PyTorch's modules return it. (A type, not an
 * interface, so that `tf.tidy(() => model.forward(x))` type-checks.)
 */
export type RNNOutput = {
  /** `[N, L, D·H_out]` (batchFirst), `[L, N, D·H_out]`, or `[L, D·H_out]` unbatched: forward half, then reverse half. */
  output: tf.Tensor;
  /** `[D·numLayers, N, H_out]`, or `[D·numLayers, H_out]` unbatched; layer-major, direction-minor. */
  hN: tf.Tensor;
  /** LSTM only: the final cell states, `[D·numLayers, N, H]` (`[D·numLayers, H]` unbatched). */
  cN?: tf.Tensor;
};

/** The call every implementation shares, so either can stand in for the other. */
export interface RecurrentModel {
  readonly config: FullRNNConfig;
  /** Dropout between layers applies only while true (PyTorch's default for a new module). */
  training: boolean;
  /**
   * @param input `[N, L, H_in]` (batchFirst), `[L, N, H_in]`, or unbatched `[L, H_in]`.
   * @param hx `h0` `[D·numLayers, N, H_out]` (`[D·numLayers, H_out]` unbatched), or for an
   *   LSTM `[h0, c0]` with c0 `[D·numLayers, N, H]`; zeros when absent.
   * @param options `lengths` `[N]` for a padded batch of variable-length sequences.
   */
  forward(input: tf.Tensor, hx?: InitialState, options?: ForwardOptions): RNNOutput;
  dispose(): void;
}
