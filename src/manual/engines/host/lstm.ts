import { Activation } from './product';
import { HostDirection, runHostSteps } from './stepLoop';

/** σ(i), σ(f), tanh(g), σ(o). */
const GATE_ACTIVATIONS: readonly Activation[] = ['sigmoid', 'sigmoid', 'tanh', 'sigmoid'];
const TANH: readonly Activation[] = ['tanh'];

/**
 * The LSTM's forward steps on host arrays (see `cells/lstm.ts` for the maths), in the shared host
 * loop: `p_t + h W_hhᵀ`, σ, tanh and `u W_hrᵀ` on the host kernels (`HostProduct`), c and u
 * in double precision, each gate and state stored as float32.
 * @returns h `[L, N, H_out]` and c `[L, N, H]`, flat.
 */
export function lstmStepsOnHost({ dims, projection, initial, recurrent, outputProjection, reverse, lengths }: HostDirection): Float32Array[] {
  const { hiddenSize: outSize, batchSize } = dims;
  const gateSize = recurrent.rows;
  const cellSize = gateSize / 4;
  const unprojected = new Float32Array(batchSize * cellSize);
  return runHostSteps(dims, gateSize, initial, [outSize, cellSize], { reverse, lengths }, (projectionStart, [hidden, cells], [previousHidden, previousCells], [nextHidden, nextCells]) => {
    const gates = recurrent.multiply(hidden, previousHidden, batchSize, projection, projectionStart);
    recurrent.activate(GATE_ACTIVATIONS, 0, cellSize);
    // c = f ⊙ c_{t−1} + i ⊙ g, kept in the g block for its tanh
    for (let b = 0; b < batchSize; b++) {
      const row = b * gateSize;
      const cellRow = b * cellSize;
      for (let j = 0; j < cellSize; j++) {
        const cell = gates[row + cellSize + j] * cells[previousCells + cellRow + j] + gates[row + j] * gates[row + 2 * cellSize + j];
        cells[nextCells + cellRow + j] = cell;
        gates[row + 2 * cellSize + j] = cell;
      }
    }
    recurrent.activate(TANH, 2 * cellSize, cellSize);
    const output = outputProjection ? unprojected : hidden;
    const outputStart = outputProjection ? 0 : nextHidden;
    for (let b = 0; b < batchSize; b++) {
      const row = b * gateSize;
      const cellRow = b * cellSize;
      for (let j = 0; j < cellSize; j++) output[outputStart + cellRow + j] = gates[row + 3 * cellSize + j] * gates[row + 2 * cellSize + j];
    }
    if (outputProjection) hidden.set(outputProjection.multiply(unprojected, 0, batchSize), nextHidden);
  });
}
