import { addRowTimesWeightsT, hostStepLoop } from '../hostLoop';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The LSTM's forward steps on host arrays (see `lstm.ts` for the maths), in the shared host
 * loop: each gate pre-activation summed in double precision, c and h stored as float32.
 * @returns h `[L, N, H_out]` and c `[L, N, H]`, flat.
 */
export function lstmStepsOnHost({ dims, projection, initial, weightHh, weightHr, reverse, lengths }: HostSteps): Float32Array[] {
  const { seqLen, batchSize, hiddenSize: outSize } = dims;
  const gateSize = projection.length / (seqLen * batchSize);
  const cellSize = gateSize / 4;
  const sum = new Float64Array(gateSize);
  const unprojected = new Float64Array(cellSize);
  return hostStepLoop(dims, gateSize, initial, [outSize, cellSize], { reverse, lengths }, (projectionRow, [previousHidden, previousCells], [hidden, cells], b) => {
    const [hiddenRow, cellRow] = [b * outSize, b * cellSize];
    for (let j = 0; j < gateSize; j++) sum[j] = projection[projectionRow + j];
    addRowTimesWeightsT(sum, previousHidden, hiddenRow, weightHh, gateSize, outSize);
    for (let j = 0; j < cellSize; j++) {
      cells[cellRow + j] = sigmoid(sum[cellSize + j]) * previousCells[cellRow + j] + sigmoid(sum[j]) * Math.tanh(sum[2 * cellSize + j]);
      unprojected[j] = sigmoid(sum[3 * cellSize + j]) * Math.tanh(cells[cellRow + j]);
    }
    for (let k = 0; k < outSize; k++) {
      if (weightHr === undefined) {
        hidden[hiddenRow + k] = unprojected[k];
        continue;
      }
      let projected = 0;
      for (let j = 0; j < cellSize; j++) projected += unprojected[j] * weightHr[k * cellSize + j];
      hidden[hiddenRow + k] = projected;
    }
  });
}
