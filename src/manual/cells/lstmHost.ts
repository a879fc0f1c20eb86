import { hostStepLoop } from '../hostLoop';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The LSTM's forward steps on host arrays (see `lstm.ts` for the maths), in the shared host
 * loop: `h W_hhᵀ` and `u W_hrᵀ` summed in float32 (`HostProduct`), the gates in double
 * precision, c, u and h stored as float32.
 * @returns h `[L, N, H_out]` and c `[L, N, H]`, flat.
 */
export function lstmStepsOnHost({ dims, projection, initial, recurrent, outputProjection, reverse, lengths }: HostSteps): Float32Array[] {
  const { hiddenSize: outSize } = dims;
  const cellSize = recurrent.rows / 4;
  const unprojected = new Float32Array(cellSize);
  return hostStepLoop(dims, initial, [outSize, cellSize], { reverse, lengths }, recurrent, (projectionRow, products, productRow, [hidden, cells], [, previousCellRow], [hiddenRow, cellRow]) => {
    const gate = (index: number, j: number) => projection[projectionRow + index * cellSize + j] + products[productRow + index * cellSize + j];
    for (let j = 0; j < cellSize; j++) {
      cells[cellRow + j] = sigmoid(gate(1, j)) * cells[previousCellRow + j] + sigmoid(gate(0, j)) * Math.tanh(gate(2, j));
      unprojected[j] = sigmoid(gate(3, j)) * Math.tanh(cells[cellRow + j]);
    }
    hidden.set(outputProjection ? outputProjection.multiply(unprojected, 0, 1) : unprojected, hiddenRow);
  });
}
