import { addRowTimesWeightsT } from '../hostLoop';
import { readingOrder } from '../hostSteps';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The GRU's forward steps on host arrays (see `gru.ts` for the maths): sums in double
 * precision, h stored as float32. With `lengths`, row b keeps its state at steps
 * `t ≥ lengths[b]`.
 * @returns h `[L, N, H]`, flat.
 */
export function gruStepsOnHost({ dims, projection, initial, weightHh, hiddenBias, reverse, lengths }: HostSteps): Float32Array[] {
  const { seqLen, batchSize, hiddenSize } = dims;
  const gateSize = 3 * hiddenSize;
  const stepSize = batchSize * hiddenSize;
  const states = new Float32Array(seqLen * stepSize);
  const recurrent = new Float64Array(gateSize);
  let previous = initial[0];
  for (const t of readingOrder(seqLen, reverse)) {
    const state = states.subarray(t * stepSize, (t + 1) * stepSize);
    for (let b = 0; b < batchSize; b++) {
      const row = b * hiddenSize;
      if (lengths !== undefined && lengths[b] <= t) {
        state.set(previous.subarray(row, row + hiddenSize), row);
        continue;
      }
      recurrent.fill(0);
      addRowTimesWeightsT(recurrent, previous, row, weightHh, gateSize, hiddenSize);
      const projectionRow = (t * batchSize + b) * gateSize;
      for (let j = 0; j < hiddenSize; j++) {
        const reset = sigmoid(projection[projectionRow + j] + recurrent[j]);
        const update = sigmoid(projection[projectionRow + hiddenSize + j] + recurrent[hiddenSize + j]);
        const recurrentNew = recurrent[2 * hiddenSize + j] + (hiddenBias === undefined ? 0 : hiddenBias[j]);
        const candidate = Math.tanh(projection[projectionRow + 2 * hiddenSize + j] + reset * recurrentNew);
        state[row + j] = (previous[row + j] - candidate) * update + candidate;
      }
    }
    previous = state;
  }
  return [states];
}
