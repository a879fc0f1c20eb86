import { Activation } from './product';
import { HostDirection, runHostSteps } from './stepLoop';

/** σ(r), σ(z); then tanh(n). */
const RESET_AND_UPDATE: readonly Activation[] = ['sigmoid', 'sigmoid'];
const CANDIDATE: readonly Activation[] = ['tanh'];

/**
 * The GRU's forward steps on host arrays (see `cells/gru.ts` for the maths), in the shared host
 * loop: `h W_hhᵀ`, σ and tanh on the host kernels (`HostProduct`), the rest in double
 * precision, each gate and h stored as float32.
 * @returns h `[L, N, H]`, flat.
 */
export function gruStepsOnHost({ dims, projection, initial, recurrent, hiddenBias, reverse, lengths }: HostDirection): Float32Array[] {
  const { hiddenSize, batchSize } = dims;
  const gateSize = 3 * hiddenSize;
  return runHostSteps(dims, gateSize, initial, [hiddenSize], { reverse, lengths }, (projectionStart, [hidden], [previous], [next]) => {
    const gates = recurrent.multiply(hidden, previous, batchSize);
    for (let b = 0; b < batchSize; b++) {
      const row = b * gateSize;
      const projectionRow = projectionStart + b * gateSize;
      for (let j = 0; j < 2 * hiddenSize; j++) gates[row + j] += projection[projectionRow + j];
    }
    recurrent.activate(RESET_AND_UPDATE, 0, hiddenSize);
    for (let b = 0; b < batchSize; b++) {
      const row = b * gateSize;
      const projectionRow = projectionStart + b * gateSize;
      for (let j = 0; j < hiddenSize; j++) {
        const recurrentNew = gates[row + 2 * hiddenSize + j] + (hiddenBias === undefined ? 0 : hiddenBias[j]);
        gates[row + 2 * hiddenSize + j] = projection[projectionRow + 2 * hiddenSize + j] + gates[row + j] * recurrentNew;
      }
    }
    recurrent.activate(CANDIDATE, 2 * hiddenSize, hiddenSize);
    for (let b = 0; b < batchSize; b++) {
      const row = b * gateSize;
      const stateRow = b * hiddenSize;
      for (let j = 0; j < hiddenSize; j++) {
        const candidate = gates[row + 2 * hiddenSize + j];
        hidden[next + stateRow + j] = (hidden[previous + stateRow + j] - candidate) * gates[row + hiddenSize + j] + candidate;
      }
    }
  });
}
