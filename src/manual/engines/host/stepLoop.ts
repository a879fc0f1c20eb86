import { HostProduct } from './product';

/** Sizes of one direction's sequence. */
export interface SequenceDims {
  seqLen: number;
  batchSize: number;
  hiddenSize: number;
}

/**
 * One step of every row on the host. `states` holds each state for every step
 * (`[L + 1, N, F]`, the initial state first); the step reads the step before at
 * `states[i][previous[i] …]` and `p_t` at `projection[projectionStart …]` (`[N, G·H]`), and
 * writes its states `[N, F]` at `states[i][next[i] …]`.
 */
export type HostStepFunction = (projectionStart: number, states: Float32Array[], previous: number[], next: number[]) => void;

/**
 * The loop every cell's host steps run in (`hostStepsFor`): steps in reading order, each computed by `step` for every row from the states of the
 * step read before; then the rows whose sequence has ended (`lengths[b] ≤ t`) get their
 * states back, as the tensor loop does. Nothing is allocated per step.
 * @param initial one `[N, F]` per state, h first; `sizes` their F. @param gateSize G·H, `p_t`'s row length.
 * @returns each state after every step, `[L, N, F]` flat, in time order.
 */
export function runHostSteps(
  { seqLen, batchSize }: SequenceDims,
  gateSize: number,
  initial: Float32Array[],
  sizes: number[],
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
  step: HostStepFunction,
): Float32Array[] {
  // Arrays built by push, never by map: the same elements kind on every call and for every
  // cell (map's results differ between its optimised and generic paths: a "wrong map" deopt).
  const count = sizes.length;
  const states: Float32Array[] = [];
  const previous: number[] = [];
  const next: number[] = [];
  for (let s = 0; s < count; s++) {
    const sequence = new Float32Array((seqLen + 1) * batchSize * sizes[s]);
    sequence.set(initial[s].subarray(0, batchSize * sizes[s]));
    states.push(sequence);
    previous.push(0);
    next.push(0);
  }
  /** Where each step's states sit: the initial state in slot 0, step t in slot t + 1. */
  let previousSlot = 0;
  // Plain loops only (no closures per step): one shape of code for every cell.
  for (let i = 0; i < seqLen; i++) {
    const t = reverse ? seqLen - 1 - i : i;
    for (let s = 0; s < count; s++) {
      previous[s] = previousSlot * batchSize * sizes[s];
      next[s] = (t + 1) * batchSize * sizes[s];
    }
    step(t * batchSize * gateSize, states, previous, next);
    if (lengths !== undefined) {
      for (let b = 0; b < batchSize; b++) {
        if (lengths[b] > t) continue;
        for (let s = 0; s < count; s++) states[s].copyWithin(next[s] + b * sizes[s], previous[s] + b * sizes[s], previous[s] + (b + 1) * sizes[s]);
      }
    }
    previousSlot = t + 1;
  }
  const sequences: Float32Array[] = [];
  for (let s = 0; s < count; s++) sequences.push(states[s].subarray(batchSize * sizes[s]));
  return sequences;
}

/** What a direction's host steps read: the sequence and the weights, flat and row-major. */
export interface HostDirection {
  /** `hiddenSize` is h's size, `H_out`. */
  dims: SequenceDims;
  /** `[L, N, G·H]`. */
  projection: Float32Array;
  /** One `[N, F]` per state. */
  initial: Float32Array[];
  /** `h ↦ h W_hhᵀ` `[N, H_out]` → `[N, G·H]`, no bias. */
  recurrent: HostProduct;
  hiddenBias?: Float32Array;
  /** LSTM with `projSize`: `u ↦ u W_hrᵀ` `[N, H]` → `[N, H_out]`. */
  outputProjection?: HostProduct;
  reverse: boolean;
  lengths?: Int32Array;
}

/** A cell's forward steps on host arrays: each state `[L, N, F]`, flat, in time order. */
export type HostSteps = (direction: HostDirection) => Float32Array[];
