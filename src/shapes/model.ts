import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig } from '../config';
import { ForwardOptions } from './lengths';

/**
 * What a forward pass returns, shaped as PyTorch's `nn.RNN` returns it. (A type, not an
 * interface, so that `tf.tidy(() => model.forward(x))` type-checks.)
 */
export type RNNOutput = {
  /** `[N, L, D·H]` (batchFirst), `[L, N, D·H]`, or `[L, D·H]` unbatched: forward half, then reverse half. */
  output: tf.Tensor;
  /** `[D·numLayers, N, H]`, or `[D·numLayers, H]` unbatched; layer-major, direction-minor. */
  hN: tf.Tensor;
};

/** The call both implementations share, so either can stand in for the other. */
export interface RecurrentModel {
  readonly config: FullRNNConfig;
  /** Dropout between layers applies only while true (PyTorch's default for a new module). */
  training: boolean;
  /**
   * @param input `[N, L, H_in]` (batchFirst), `[L, N, H_in]`, or unbatched `[L, H_in]`.
   * @param h0 `[D·numLayers, N, H]` (`[D·numLayers, H]` unbatched); zeros when absent.
   * @param options `lengths` `[N]` for a padded batch of variable-length sequences.
   */
  forward(input: tf.Tensor, h0?: tf.Tensor, options?: ForwardOptions): RNNOutput;
  dispose(): void;
}
