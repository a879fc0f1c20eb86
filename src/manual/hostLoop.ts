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

/**
 * Multiply-adds per step below which the host loop beats wasm's kernels called directly
 * (`wasmSteps.ts`): there a step's arithmetic costs less than its 4 (RNN) to 15 (LSTM)
 * kernel calls. CPU time of a forward pass, host loop ÷ kernels, on wasm (N×H, multiply-adds):
 * below, RNN 1×16 (256) 0.45, 2×16 (512) 0.76; LSTM 1×12 (576) 0.30, 1×16 (1024) 0.70,
 * 1×20 (1600) 0.82; GRU 1×16 (768) 0.52, 1×24 (1728) 0.82; at and above, LSTM 2×16 (2048)
 * 1.16, 1×24 (2304) 1.05, 1×32 (4096) 1.45; GRU 1×32 (3072) 1.16, 2×24 (3456) 1.38. The RNN
 * crosses over lower, near 1024 (1×32: 0.97, 2×24 (1152): 1.06): between the two its loops
 * are within 6%.
 */
export const WASM_HOST_MAX_MULTIPLY_ADDS = 2048;

/** What runs a direction's steps when the host loop does not. */
export type BackendSteps = 'wasm kernels' | 'cpu ops' | 'tf ops';

/**
 * Whether `loop` runs steps of `multiplyAdds` (`N·H_out·G·H`) on the host: always for
 * `'host'`; for `'auto'` where that is faster: instead of wasm's kernels called directly
 * below `WASM_HOST_MAX_MULTIPLY_ADDS`, always instead of the cpu backend's ops (which are
 * JavaScript loops too: RNN 1.25× slower at N = H = 256, 4× at N = 1, H = 32; LSTM and GRU
 * 2.4–3.2× at N = H = 256, 2.8–6× at N = 1, H = 32), and instead of other backends' tf ops
 * below `HOST_LOOP_MAX_MULTIPLY_ADDS`.
 */
export function runsOnHost(loop: StepLoop, multiplyAdds: number, backendSteps: BackendSteps): boolean {
  if (loop !== 'auto') return loop === 'host';
  if (backendSteps === 'cpu ops') return true;
  return multiplyAdds < (backendSteps === 'wasm kernels' ? WASM_HOST_MAX_MULTIPLY_ADDS : HOST_LOOP_MAX_MULTIPLY_ADDS);
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
