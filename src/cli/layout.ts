import { FullRNNConfig, numDirections } from '../config';
import { ShapeError, formatShape } from '../errors';
import { stateShape } from '../shapes';

/**
 * How a whole input file maps to the arrays a run produces, as PyTorch's `nn.RNN` shapes them
 * (N batch, L sequence length, D directions, S = D·num_layers states).
 */
export interface FileLayout {
  batched: boolean;
  /** N (1 when unbatched). */
  batchSize: number;
  /** Batch axis of the input and output: 0 `[N, L, ·]` (batch_first), 1 `[L, N, ·]`, null unbatched `[L, ·]`. */
  sequenceBatchAxis: number | null;
  /** Batch axis of `h0` and `h_n`: 1 `[S, N, H]`, null unbatched `[S, H]`. */
  stateBatchAxis: number | null;
  inputShape: number[];
  /** `[·, ·, D·H]`: the input's shape with its last axis `D·hidden_size`. */
  outputShape: number[];
  /** `[S, N, H]`, or `[S, H]` unbatched. */
  stateShape: number[];
}

function inputPattern(config: FullRNNConfig): string {
  const batched = config.batchFirst ? `[batch, seq, ${config.inputSize}] (batch_first)` : `[seq, batch, ${config.inputSize}]`;
  return `a 3-D ${batched} or 2-D [seq, ${config.inputSize}] (unbatched) array`;
}

/** The layout of an input of `shape` read from `source`; wrong rank, feature size or an empty axis is a `ShapeError` naming it. */
export function fileLayout(config: FullRNNConfig, shape: number[], source: string): FileLayout {
  if (shape.length !== 2 && shape.length !== 3) {
    throw new ShapeError(source, inputPattern(config), `${shape.length}-D ${formatShape(shape)}`);
  }
  if (shape[shape.length - 1] !== config.inputSize) {
    throw new ShapeError(source, `${inputPattern(config)}: last axis input_size ${config.inputSize}`, formatShape(shape));
  }
  if (shape.some((dim) => dim === 0)) throw new ShapeError(source, `${inputPattern(config)} with seq, batch ≥ 1`, formatShape(shape));
  const batched = shape.length === 3;
  const sequenceBatchAxis = !batched ? null : config.batchFirst ? 0 : 1;
  const batchSize = sequenceBatchAxis === null ? 1 : shape[sequenceBatchAxis];
  const seqLen = batched && config.batchFirst ? shape[1] : shape[0];
  return {
    batched,
    batchSize,
    sequenceBatchAxis,
    stateBatchAxis: batched ? 1 : null,
    inputShape: shape,
    outputShape: [...shape.slice(0, -1), numDirections(config) * config.hiddenSize],
    stateShape: stateShape(config, { batched, batchSize, seqLen }),
  };
}

/** Checks that `h0` read from `source` has the shape `h_n` will have. */
export function checkStateFile(layout: FileLayout, shape: number[], source: string): void {
  if (formatShape(shape) !== formatShape(layout.stateShape)) {
    const symbols = layout.batched ? '[D·num_layers, batch, hidden_size]' : '[D·num_layers, hidden_size] (unbatched)';
    throw new ShapeError(source, `${formatShape(layout.stateShape)} ${symbols}`, formatShape(shape));
  }
}
