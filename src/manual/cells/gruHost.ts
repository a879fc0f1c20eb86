import { addRowTimesWeightsT, hostStepLoop } from '../hostLoop';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The GRU's forward steps on host arrays (see `gru.ts` for the maths), in the shared host
 * loop: sums in double precision, h stored as float32.
 * @returns h `[L, N, H]`, flat.
 */
export function gruStepsOnHost({ dims, projection, initial, weightHh, hiddenBias, reverse, lengths }: HostSteps): Float32Array[] {
  const { hiddenSize } = dims;
  const gateSize = 3 * hiddenSize;
  const recurrent = new Float64Array(gateSize);
  return hostStepLoop(dims, gateSize, initial, [hiddenSize], { reverse, lengths }, (projectionRow, [previous], [next], b) => {
    const row = b * hiddenSize;
    recurrent.fill(0);
    addRowTimesWeightsT(recurrent, previous, row, weightHh, gateSize, hiddenSize);
    for (let j = 0; j < hiddenSize; j++) {
      const reset = sigmoid(projection[projectionRow + j] + recurrent[j]);
      const update = sigmoid(projection[projectionRow + hiddenSize + j] + recurrent[hiddenSize + j]);
      const recurrentNew = recurrent[2 * hiddenSize + j] + (hiddenBias === undefined ? 0 : hiddenBias[j]);
      const candidate = Math.tanh(projection[projectionRow + 2 * hiddenSize + j] + reset * recurrentNew);
      next[row + j] = (previous[row + j] - candidate) * update + candidate;
    }
  });
}
