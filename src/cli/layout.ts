import { FullRNNConfig, numDirections, outputSize } from '../config';
import { ShapeError, formatShape } from '../errors';
import { HostArray } from '../formats';
import { stateShapes } from '../shapes';
import { BoundLayer, CheckedModelSpec } from '../model';
import { ChunkOutput } from './chunkRunner';

/**
 * How a whole input file maps to the arrays a run produces, as PyTorch's `nn.RNN`, `nn.LSTM`
 * and `nn.GRU` shape them (N batch, L sequence length, D directions, S = D·num_layers states,
 * H_out = proj_size when > 0, else hidden_size).
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
  /** `[·, ·, D·H_out]`: the input's shape with its last axis `D·H_out` (a whole model's: its output's). */
  outputShape: number[];
  /** Batch axis of the output: the input's, but 0 for a whole model's vector per sequence `[N, F]`. */
  outputBatchAxis: number | null;
  /** Whether the run also returns h_n (and c_n): a recurrent module does, a whole model only its output. */
  finalStates: boolean;
  /** h0 and h_n: `[S, N, H_out]`, or `[S, H_out]` unbatched. */
  stateShape: number[];
  /** An LSTM's c0 and c_n: `[S, N, hidden_size]`, or `[S, hidden_size]` unbatched; absent for RNN and GRU. */
  cellShape?: number[];
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
  const [hShape, cShape] = stateShapes(config, { batched, batchSize, seqLen });
  return {
    batched,
    batchSize,
    sequenceBatchAxis,
    stateBatchAxis: batched ? 1 : null,
    inputShape: shape,
    outputShape: [...shape.slice(0, -1), numDirections(config) * outputSize(config)],
    outputBatchAxis: sequenceBatchAxis,
    finalStates: true,
    stateShape: hShape,
    ...(cShape && { cellShape: cShape }),
  };
}

/**
 * Checks that an initial state read for `label` (`--h0 h0.npy`, `--c0 c0.npy`) has the shape
 * its final state will have: h (`state` 'h'), or an LSTM's cell state c (`state` 'c').
 */
export function checkStateFile(config: FullRNNConfig, layout: FileLayout, state: 'h' | 'c', shape: number[], label: string): void {
  const expected = (state === 'h' ? layout.stateShape : layout.cellShape) as number[];
  if (formatShape(shape) !== formatShape(expected)) {
    const features = state === 'h' && config.projSize > 0 ? 'proj_size' : 'hidden_size';
    const symbols = layout.batched ? `[D·num_layers, batch, ${features}]` : `[D·num_layers, ${features}] (unbatched)`;
    throw new ShapeError(label, `${formatShape(expected)} ${symbols}`, formatShape(shape));
  }
}

/** One array a model returns for the whole file: `output`, `h_n`, or an LSTM's `c_n`. */
export interface ModelOutput {
  name: 'output' | 'h_n' | 'c_n';
  shape: number[];
  /** Its batch axis (null: unbatched). */
  batchAxis: number | null;
  /** Where a chunk's result holds its rows. */
  pick: (result: ChunkOutput) => Float32Array;
}

/** The arrays a model returns for the file of `layout`, as PyTorch returns them: output, h_n, and c_n for an LSTM. */
export function modelOutputs(layout: FileLayout): ModelOutput[] {
  const outputs: ModelOutput[] = [
    { name: 'output', shape: layout.outputShape, batchAxis: layout.outputBatchAxis, pick: (result) => result.output.data },
  ];
  if (!layout.finalStates) return outputs;
  outputs.push({ name: 'h_n', shape: layout.stateShape, batchAxis: layout.stateBatchAxis, pick: (result) => (result.hN as HostArray).data });
  if (layout.cellShape !== undefined) {
    outputs.push({ name: 'c_n', shape: layout.cellShape, batchAxis: layout.stateBatchAxis, pick: (result) => (result.cN as HostArray).data });
  }
  return outputs;
}

/**
 * The layout of a whole model's input of `shape` read from `source`: token ids `[N, L]` (`[L, N]`
 * time-major) when it starts with an Embedding, else features `[N, L, F]` (`[L, N, F]`); its
 * output per step in the same layout, or `[N, F_out]` per sequence. No states.
 */
export function wholeModelLayout(spec: CheckedModelSpec, bound: readonly BoundLayer[], shape: number[], source: string): FileLayout {
  const ids = spec.inputKind === 'ids';
  const features = bound[0].inputFeatures;
  const axes = spec.batchFirst ? ['batch', 'seq'] : ['seq', 'batch'];
  const pattern = `a ${ids ? 2 : 3}-D ${formatShape(ids ? axes : [...axes, features ?? 'features'])} array of ${ids ? 'token ids' : 'features'}${spec.batchFirst ? ' (batch_first)' : ''} with seq, batch ≥ 1`;
  if (shape.length !== (ids ? 2 : 3) || shape.some((dim) => dim === 0) || (!ids && features !== undefined && shape[2] !== features)) {
    throw new ShapeError(source, pattern, `${shape.length}-D ${formatShape(shape)}`);
  }
  const sequenceBatchAxis = spec.batchFirst ? 0 : 1;
  const batchSize = shape[sequenceBatchAxis];
  const last = bound[bound.length - 1].output;
  const outFeatures = last.features > 0 ? last.features : shape[shape.length - 1];
  const perStep = last.kind === 'sequence';
  return {
    batched: true,
    batchSize,
    sequenceBatchAxis,
    stateBatchAxis: null,
    inputShape: shape,
    outputShape: perStep ? [shape[0], shape[1], outFeatures] : [batchSize, outFeatures],
    outputBatchAxis: perStep ? sequenceBatchAxis : 0,
    finalStates: false,
    stateShape: [],
  };
}
