import { HostProduct } from './simd/hostProduct';

/** How the recurrence runs its steps: on host arrays, as tf ops, or whichever is faster. */
export const STEP_LOOPS = ['auto', 'host', 'tensor'] as const;
export type StepLoop = (typeof STEP_LOOPS)[number];

/**
 * Multiply-adds per step (`N·H_out·G·H`: `N·H·H` for the RNN) below which the host loop beats steps of tf ops on
 * backends with native or vectorised kernels: there a step's arithmetic costs less than
 * dispatching its three ops (wasm through tf ops: 7× faster at N = 1, H = 32; 6× slower at
 * N = 32, H = 128).
 */
export const HOST_LOOP_MAX_MULTIPLY_ADDS = 16384;

/** What runs a direction's steps when the host loop does not. */
export type BackendSteps = 'wasm kernels' | 'cpu ops' | 'tf ops';

/**
 * Whether `loop` runs steps of `multiplyAdds` (`N·H_out·G·H`) on the host: always for
 * `'host'`; for `'auto'` where that is faster: always instead of the cpu backend's ops (which
 * are JavaScript loops too: the RNN 1.25× slower at N = H = 256, 4× at N = 1, H = 32; the
 * LSTM and GRU 2.4–3.2× and 2.8–6×), instead of other backends' tf ops below
 * `HOST_LOOP_MAX_MULTIPLY_ADDS`, and never instead of wasm's kernels called directly
 * (`wasmSteps.ts`). Those win from a few thousand multiply-adds a step (CPU time, host ÷
 * kernels: RNN 2×24 1.06, LSTM 2×16 1.16, GRU 1×32 1.16; 2.8–4.9 at 8×32, 7.8–9.5 at
 * 16×64) and lose below (1×16: RNN 0.45, LSTM 0.70, GRU 0.52), but a threshold on N·… would
 * give a sequence different bits alone and in a batch (the host loop sums in double
 * precision), and a file's outputs would then depend on the CLI's --batch-size.
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

/** `[rows, columns]` flat as `[columns, rows]` flat. */
export function transposeOnHost(values: Float32Array, rows: number, columns: number): Float32Array {
  const transposed = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) transposed[c * rows + r] = values[r * columns + c];
  return transposed;
}

/**
 * One row of one step on the host. `states` holds each state for every step (`[L + 1, N, F]`,
 * the initial state first); the row reads the step before at `states[i][previousRows[i] …]`,
 * `p_t` at `projection[projectionRow …]` and `h_{t−1} W_hhᵀ` at `products[productRow …]`
 * (both `G·H` long), and writes its states at `states[i][nextRows[i] …]`.
 */
export type HostRowStep = (
  projectionRow: number,
  products: Float32Array,
  productRow: number,
  states: Float32Array[],
  previousRows: number[],
  nextRows: number[],
) => void;

/**
 * The loop every cell's host steps run in (`Cell.stepsOnHost`), for steps too small to pay for
 * tf ops: steps in reading order; each step multiplies the h of the step read before by
 * `W_hhᵀ` (`recurrent`, all rows at once), then `step` computes each row's states, except the
 * rows whose sequence has ended (`lengths[b] ≤ t`), which keep their states, as the tensor
 * loop does. Nothing is allocated per step.
 * @param initial one `[N, F]` per state, h first; `sizes` their F. `p_t`'s rows are `recurrent.rows` (G·H) long.
 * @returns each state after every step, `[L, N, F]` flat, in time order.
 */
export function hostStepLoop(
  { seqLen, batchSize }: SequenceDims,
  initial: Float32Array[],
  sizes: number[],
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
  recurrent: HostProduct,
  step: HostRowStep,
): Float32Array[] {
  const gateSize = recurrent.rows;
  const states = sizes.map((size, i) => {
    const sequence = new Float32Array((seqLen + 1) * batchSize * size);
    sequence.set(initial[i].subarray(0, batchSize * size));
    return sequence;
  });
  const previousRows = sizes.map(() => 0);
  const nextRows = sizes.map(() => 0);
  /** Where each step's states sit: the initial state in slot 0, step t in slot t + 1. */
  let previousSlot = 0;
  for (let i = 0; i < seqLen; i++) {
    const t = reverse ? seqLen - 1 - i : i;
    const products = recurrent.multiply(states[0], previousSlot * batchSize * sizes[0], batchSize);
    for (let b = 0; b < batchSize; b++) {
      for (let s = 0; s < sizes.length; s++) {
        previousRows[s] = (previousSlot * batchSize + b) * sizes[s];
        nextRows[s] = ((t + 1) * batchSize + b) * sizes[s];
      }
      if (lengths !== undefined && lengths[b] <= t) {
        states.forEach((state, s) => state.copyWithin(nextRows[s], previousRows[s], previousRows[s] + sizes[s]));
      } else {
        step((t * batchSize + b) * gateSize, products, b * gateSize, states, previousRows, nextRows);
      }
    }
    previousSlot = t + 1;
  }
  return states.map((state, s) => state.subarray(batchSize * sizes[s]));
}
