import { Nonlinearity } from '../config';
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
 * `recur`'s forward pass on host arrays, `h_t = act(xProj_t + h_{t−1} W_hhᵀ)`, for steps too
 * small to pay for tf ops. Sums in double precision and stores each state as float32.
 * With `lengths`, row b keeps its state at steps `t ≥ lengths[b]`, as the tensor loop does.
 *
 * @param projection `[L, N, H]` flat. @param initial `[N, H]` flat.
 * @param weightHhT `[H, H]` flat (`W_hhᵀ`: row k holds the weights of `h_{t−1}[k]`).
 * @returns `[L, N, H]` flat: the state after every step, in time order.
 */
export function recurOnHost(
  projection: Float32Array,
  initial: Float32Array,
  weightHhT: Float32Array,
  { seqLen, batchSize, hiddenSize }: SequenceDims,
  nonlinearity: Nonlinearity,
  reverse: boolean,
  lengths?: Int32Array,
): Float32Array {
  const stepSize = batchSize * hiddenSize;
  const states = new Float32Array(seqLen * stepSize);
  const sum = new Float64Array(hiddenSize);
  let previous = initial;
  for (const t of readingOrder(seqLen, reverse)) {
    const state = states.subarray(t * stepSize, (t + 1) * stepSize);
    for (let b = 0; b < batchSize; b++) {
      const row = b * hiddenSize;
      if (lengths !== undefined && lengths[b] <= t) {
        state.set(previous.subarray(row, row + hiddenSize), row);
        continue;
      }
      for (let j = 0; j < hiddenSize; j++) sum[j] = projection[t * stepSize + row + j];
      for (let k = 0; k < hiddenSize; k++) {
        const h = previous[row + k];
        const weights = k * hiddenSize;
        for (let j = 0; j < hiddenSize; j++) sum[j] += h * weightHhT[weights + j];
      }
      for (let j = 0; j < hiddenSize; j++) {
        state[row + j] = nonlinearity === 'tanh' ? Math.tanh(sum[j]) : Math.max(sum[j], 0);
      }
    }
    previous = state;
  }
  return states;
}
