import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig } from '../../config';

/**
 * What one mode (RNN, LSTM, GRU) adds to the shared recurrence: its step as tf ops and its
 * backward, and how its biases and extra weights enter. These are the reference: the host
 * and wasm engines (`engines/`) compute the same step on their own arithmetic and are tested
 * against it. Everything else — the input projection, layers, directions, lengths, the plan,
 * backpropagation through time — is written once, in `recurrence.ts` and `stack.ts`.
 *
 * Symbols: N batch, L steps, G gates, H `hiddenSize`, H_out `projSize || hiddenSize`.
 * A step reads the projected input `p_t = x_t W_ihᵀ + projection bias` `[N, G·H]` and the
 * states carried from the step before (h `[N, H_out]`, and c `[N, H]` for an LSTM).
 */
export interface Cell {
  /** Features of each carried state, h first: `[H_out]`, or `[H_out, H]` for an LSTM's (h, c). */
  stateSizes(config: FullRNNConfig): number[];
  /**
   * How `b_ih` and `b_hh` `[G·H]` enter: `projectionBias` is added to every `x_t W_ihᵀ` at
   * once; `hiddenBias` (GRU only: `b_hn`, which sits inside `r ⊙ (…)`) is added in the step.
   */
  splitBias(biasIh: tf.Tensor1D, biasHh: tf.Tensor1D): { projectionBias: tf.Tensor1D; hiddenBias?: tf.Tensor1D };
  /** One step as tf ops: `p_t` and the previous states → the new states. */
  step(projection: tf.Tensor2D, previous: tf.Tensor2D[], weights: StepWeights): tf.Tensor2D[];
  /** Sets up backpropagation through time for one direction (see `CellBackward`). */
  backward(saved: SavedSequence): CellBackward;
}

/** A direction's weights as its steps use them. */
export interface StepWeights {
  /** `W_hhᵀ` `[H_out, G·H]`. */
  recurrentT: tf.Tensor2D;
  /** GRU with biases: `b_hn` `[H]`. */
  hiddenBias?: tf.Tensor1D;
  /** LSTM with `projSize`: `W_hrᵀ` `[H, H_out]`. */
  projectionT?: tf.Tensor2D;
}

/** What backpropagation through a direction has: all `[L, N, ·]`, in time order. */
export interface SavedSequence {
  projection: tf.Tensor3D;
  /** Each state after every step. */
  states: tf.Tensor3D[];
  /** Each state before every step: the one after the step read before, or the initial state. */
  previous: tf.Tensor3D[];
  weights: StepWeights;
}

/** One step of backpropagation through time, as `CellBackward.step` returns it. */
export interface StepGradients {
  /** d loss / d p_t `[N, G·H]`. */
  dProjection: tf.Tensor2D;
  /** d loss / d (h_{t−1} W_hhᵀ + b_hn) `[N, G·H]`: `dProjection` itself where they are the same. */
  dRecurrent: tf.Tensor2D;
  /** The parts of d loss / d state_{t−1} that do not go through `W_hh`, per state (undefined: none). */
  dPrevious: Array<tf.Tensor2D | undefined>;
}

/** A cell's side of backpropagation through time over one direction. */
export interface CellBackward {
  /** Per-step factors `[L, N, ·]`, computed for the whole sequence at once; split into steps by the caller. */
  tape: tf.Tensor[];
  /** d loss / d state_t per state (incoming: from the outputs and the step after) → this step's gradients. */
  step(dStates: tf.Tensor2D[], tape: tf.Tensor2D[]): StepGradients;
  /**
   * Gradients of the cell's own extra weights, in `StepWeights` order (`hiddenBias`,
   * `projectionT`; none for the RNN), from every step's `dRecurrent` and d loss / d h_t
   * (zero at a row's kept steps; computed when asked for), both `[L·N, ·]`.
   */
  weightGradients(dRecurrent: tf.Tensor2D, dHidden: () => tf.Tensor2D): tf.Tensor[];
}

/** `x` `[R, k·F]` as its k column blocks `[R, F]`. */
export function gateBlocks(x: tf.Tensor2D, count: number): tf.Tensor2D[] {
  return tf.split(x, count, 1);
}
