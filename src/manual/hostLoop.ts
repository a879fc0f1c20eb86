import { readingOrder } from './hostSteps';

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

/**
 * Adds one row of `h Wᵀ` to `sums`: `sums[j] += Σ_k h[row + k]·W[j, k]` for every row j of
 * `weights` `[rows, columns]` (row-major), summed in double precision in the order of k. A dot
 * product per j, so the running sum stays in a register.
 */
export function addRowTimesWeightsT(sums: Float64Array, h: Float32Array, row: number, weights: Float32Array, rows: number, columns: number): void {
  for (let j = 0; j < rows; j++) {
    const start = j * columns;
    let sum = sums[j];
    for (let k = 0; k < columns; k++) sum += h[row + k] * weights[start + k];
    sums[j] = sum;
  }
}

/** `[rows, columns]` flat as `[columns, rows]` flat. */
export function transposeOnHost(values: Float32Array, rows: number, columns: number): Float32Array {
  const transposed = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) transposed[c * rows + r] = values[r * columns + c];
  return transposed;
}

/**
 * One row of one step on the host: reads the states of the step before (`previous`, each
 * `[N, F]`) at row b and `p_t` of that row at `projection[projectionRow …]`, writes row b of
 * `next`.
 */
export type HostRowStep = (projectionRow: number, previous: Float32Array[], next: Float32Array[], b: number) => void;

/**
 * The loop every cell's host steps run in (`Cell.stepsOnHost`), for steps too small to pay for
 * tf ops: steps in reading order, each row computed by `step` from the states of the step
 * read before, except the rows whose sequence has ended (`lengths[b] ≤ t`), which keep their
 * states, as the tensor loop does.
 * @param initial one `[N, F]` per state, `sizes` their F. @param gateSize G·H, `p_t`'s row length.
 * @returns each state after every step, `[L, N, F]` flat, in time order.
 */
export function hostStepLoop(
  { seqLen, batchSize }: SequenceDims,
  gateSize: number,
  initial: Float32Array[],
  sizes: number[],
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
  step: HostRowStep,
): Float32Array[] {
  const sequences = sizes.map((size) => new Float32Array(seqLen * batchSize * size));
  let previous = initial;
  for (const t of readingOrder(seqLen, reverse)) {
    const next = sequences.map((sequence, i) => sequence.subarray(t * batchSize * sizes[i], (t + 1) * batchSize * sizes[i]));
    for (let b = 0; b < batchSize; b++) {
      if (lengths !== undefined && lengths[b] <= t) {
        next.forEach((state, i) => state.set(previous[i].subarray(b * sizes[i], (b + 1) * sizes[i]), b * sizes[i]));
      } else {
        step((t * batchSize + b) * gateSize, previous, next, b);
      }
    }
    previous = next;
  }
  return sequences;
}
