import { hostStepLoop } from '../hostLoop';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The GRU's forward steps on host arrays (see `gru.ts` for the maths), in the shared host
 * loop: `h W_hhᵀ` summed in float32 (`HostProduct`), the gates in double precision, h stored
 * as float32.
 * @returns h `[L, N, H]`, flat.
 */
export function gruStepsOnHost({ dims, projection, initial, recurrent, hiddenBias, reverse, lengths }: HostSteps): Float32Array[] {
  const { hiddenSize } = dims;
  return hostStepLoop(dims, initial, [hiddenSize], { reverse, lengths }, recurrent, (projectionRow, products, productRow, [hidden], [previousRow], [row]) => {
    for (let j = 0; j < hiddenSize; j++) {
      const reset = sigmoid(projection[projectionRow + j] + products[productRow + j]);
      const update = sigmoid(projection[projectionRow + hiddenSize + j] + products[productRow + hiddenSize + j]);
      const recurrentNew = products[productRow + 2 * hiddenSize + j] + (hiddenBias === undefined ? 0 : hiddenBias[j]);
      const candidate = Math.tanh(projection[projectionRow + 2 * hiddenSize + j] + reset * recurrentNew);
      hidden[row + j] = (hidden[previousRow + j] - candidate) * update + candidate;
    }
  });
}
