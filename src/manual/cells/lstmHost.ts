import { addRowTimesWeightsT } from '../hostLoop';
import { readingOrder } from '../hostSteps';
import { HostSteps } from './cell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The LSTM's forward steps on host arrays (see `lstm.ts` for the maths): each gate
 * pre-activation summed in double precision, c and h stored as float32. With `lengths`,
 * row b keeps both states at steps `t ≥ lengths[b]`.
 * @returns h `[L, N, H_out]` and c `[L, N, H]`, flat.
 */
export function lstmStepsOnHost({ dims, projection, initial, weightHh, weightHr, reverse, lengths }: HostSteps): Float32Array[] {
  const { seqLen, batchSize, hiddenSize: outSize } = dims;
  const gateSize = projection.length / (seqLen * batchSize);
  const cellSize = gateSize / 4;
  const hidden = new Float32Array(seqLen * batchSize * outSize);
  const cells = new Float32Array(seqLen * batchSize * cellSize);
  const sum = new Float64Array(gateSize);
  const unprojected = new Float64Array(cellSize);
  let [previousHidden, previousCells] = initial;
  for (const t of readingOrder(seqLen, reverse)) {
    const hiddenStep = hidden.subarray(t * batchSize * outSize, (t + 1) * batchSize * outSize);
    const cellStep = cells.subarray(t * batchSize * cellSize, (t + 1) * batchSize * cellSize);
    for (let b = 0; b < batchSize; b++) {
      const [hiddenRow, cellRow] = [b * outSize, b * cellSize];
      if (lengths !== undefined && lengths[b] <= t) {
        hiddenStep.set(previousHidden.subarray(hiddenRow, hiddenRow + outSize), hiddenRow);
        cellStep.set(previousCells.subarray(cellRow, cellRow + cellSize), cellRow);
        continue;
      }
      const projectionRow = (t * batchSize + b) * gateSize;
      for (let j = 0; j < gateSize; j++) sum[j] = projection[projectionRow + j];
      addRowTimesWeightsT(sum, previousHidden, hiddenRow, weightHh, gateSize, outSize);
      for (let j = 0; j < cellSize; j++) {
        const cell = sigmoid(sum[cellSize + j]) * previousCells[cellRow + j] + sigmoid(sum[j]) * Math.tanh(sum[2 * cellSize + j]);
        cellStep[cellRow + j] = cell;
        unprojected[j] = sigmoid(sum[3 * cellSize + j]) * Math.tanh(cellStep[cellRow + j]);
      }
      for (let k = 0; k < outSize; k++) {
        if (weightHr === undefined) {
          hiddenStep[hiddenRow + k] = unprojected[k];
          continue;
        }
        let projected = 0;
        for (let j = 0; j < cellSize; j++) projected += unprojected[j] * weightHr[k * cellSize + j];
        hiddenStep[hiddenRow + k] = projected;
      }
    }
    [previousHidden, previousCells] = [hiddenStep, cellStep];
  }
  return [hidden, cells];
}
