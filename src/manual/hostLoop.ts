/** How the recurrence runs its steps: on host arrays, as tf ops, or whichever is faster. */
export const STEP_LOOPS = ['auto', 'host', 'tensor'] as const;
export type StepLoop = (typeof STEP_LOOPS)[number];

/**
 * Multiply-adds per step (`N·H_out·G·H`: `N·H·H` for the RNN) below which the host loop
 * beats steps of tf ops on backends with native kernels but no direct calls (tensorflow):
 * there a step's arithmetic costs less than dispatching its ops.
 */
export const HOST_LOOP_MAX_MULTIPLY_ADDS = 16384;

/** What runs a direction's steps when the host loop does not. */
export type BackendSteps = 'wasm kernels' | 'cpu ops' | 'tf ops';

/**
 * Whether `loop` runs steps of `multiplyAdds` (`N·H_out·G·H`) on the host: always for
 * `'host'`; for `'auto'` where that is faster: always instead of the cpu backend's ops (which
 * are JavaScript loops too; host ÷ ops over 20 bidirectional steps, N×H: RNN 0.39–0.54 at
 * 1×32, 0.2 at 32×128, 0.12 at 256×256; LSTM 0.30, 0.10, 0.09; GRU 0.48, 0.08, 0.07),
 * instead of other backends' tf ops below `HOST_LOOP_MAX_MULTIPLY_ADDS`, and never instead
 * of wasm's kernels called directly (`wasmSteps.ts`). Those lose to the host at small N
 * (host ÷ kernels over 100 bidirectional steps, RNN/LSTM/GRU: 0.50/0.30/0.51 at 1×16,
 * 0.40/0.51/0.47 at 1×32) and win from about N = 8 (1.14/0.87/1.12 at 8×32, 1.05/1.31/1.46
 * at 16×64), but a threshold on N·… would give a sequence different bits alone and in a
 * batch (the two round differently), and a file's outputs would then depend on the CLI's
 * --batch-size.
 */
export function runsOnHost(loop: StepLoop, multiplyAdds: number, backendSteps: BackendSteps): boolean {
  if (loop !== 'auto') return loop === 'host';
  if (backendSteps !== 'tf ops') return backendSteps === 'cpu ops';
  return multiplyAdds < HOST_LOOP_MAX_MULTIPLY_ADDS;
}

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
export type HostStep = (projectionStart: number, states: Float32Array[], previous: number[], next: number[]) => void;

/**
 * The loop every cell's host steps run in (`Cell.stepsOnHost`), for steps too small to pay for
 * tf ops: steps in reading order, each computed by `step` for every row from the states of the
 * step read before; then the rows whose sequence has ended (`lengths[b] ≤ t`) get their
 * states back, as the tensor loop does. Nothing is allocated per step.
 * @param initial one `[N, F]` per state, h first; `sizes` their F. @param gateSize G·H, `p_t`'s row length.
 * @returns each state after every step, `[L, N, F]` flat, in time order.
 */
export function hostStepLoop(
  { seqLen, batchSize }: SequenceDims,
  gateSize: number,
  initial: Float32Array[],
  sizes: number[],
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
  step: HostStep,
): Float32Array[] {
  const states = sizes.map((size, i) => {
    const sequence = new Float32Array((seqLen + 1) * batchSize * size);
    sequence.set(initial[i].subarray(0, batchSize * size));
    return sequence;
  });
  const previous = sizes.map(() => 0);
  const next = sizes.map(() => 0);
  /** Where each step's states sit: the initial state in slot 0, step t in slot t + 1. */
  let previousSlot = 0;
  for (let i = 0; i < seqLen; i++) {
    const t = reverse ? seqLen - 1 - i : i;
    sizes.forEach((size, s) => {
      previous[s] = previousSlot * batchSize * size;
      next[s] = (t + 1) * batchSize * size;
    });
    step(t * batchSize * gateSize, states, previous, next);
    for (let b = 0; lengths !== undefined && b < batchSize; b++) {
      if (lengths[b] > t) continue;
      sizes.forEach((size, s) => states[s].copyWithin(next[s] + b * size, previous[s] + b * size, previous[s] + (b + 1) * size));
    }
    previousSlot = t + 1;
  }
  return states.map((state, s) => state.subarray(batchSize * sizes[s]));
}
