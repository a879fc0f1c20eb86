import * as tf from '@tensorflow/tfjs-core';
import { HostArray, toTensors } from '../formats';
import { batchGeometry, sliceRows, withBatch } from './batchRows';
import { createLayersModel } from '../layers';
import { StepLoop, createManualModel } from '../manual';
import { disposeKerasWeights, torchToKeras } from '../mapping';
import { InitialState, RecurrentModel } from '../shapes';
import { ManualWholeModel, LayersWholeModel } from '../model';
import { readFloat32Into } from '../manual/engines/wasm/adapter';
import { BufferPool } from './bufferPool';
import { FileLayout } from './layout';
import { ModelSpec, WholeModelFile } from './modelFile';

/** The hand-written recurrence (`ManualModel`) or its tf.layers twin (`LayersModel`), of the config's mode. */
export type Implementation = 'manual' | 'layers';
export const IMPLEMENTATIONS: readonly Implementation[] = ['manual', 'layers'];

/** Some whole sequences of a file, in its layout with the batch axis cut to the chunk's rows. */
export interface Chunk {
  input: HostArray;
  h0?: HostArray;
  /** An LSTM's initial cell state, given with `h0`. */
  c0?: HostArray;
  /** `[rows]` valid steps of each sequence. */
  lengths?: Int32Array;
}

/** What each implementation returns for a chunk, shaped as PyTorch returns it. */
export interface ChunkOutput {
  output: HostArray;
  /** A recurrent module's final hidden states (a whole model returns its output alone). */
  hN?: HostArray;
  /** An LSTM's final cell states. */
  cN?: HostArray;
}
export type ChunkOutputs = Partial<Record<Implementation, ChunkOutput>>;

/**
 * Runs chunks through models built once, in eval mode, on the active backend. The outputs'
 * values are taken from `buffers` when given (to be given back once read), else new arrays.
 */
export interface ChunkRunner {
  run(chunk: Chunk, buffers?: BufferPool): ChunkOutputs;
  dispose(): void;
}

/** A model of `implementation` holding `spec`'s weights, in eval mode (no dropout); `loop` is the hand-written model's. */
function buildModel(spec: ModelSpec, implementation: Implementation, loop: StepLoop): RecurrentModel {
  const tensors = toTensors(spec.stateDict);
  try {
    if (implementation === 'manual') {
      const model = createManualModel(spec.config, { loop }).eval();
      model.loadStateDict(tensors);
      return model;
    }
    const model = createLayersModel(spec.config, { initialization: 'zeros' }).eval();
    const keras = torchToKeras(tensors, spec.config);
    model.setKerasWeights(keras);
    disposeKerasWeights(keras);
    return model;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/**
 * `tensor`'s values, copied off the backend into a host array of `buffers` (or a new one): on
 * wasm straight from its memory, elsewhere through `dataSync`.
 */
function toHost(tensor: tf.Tensor, buffers: BufferPool | undefined): HostArray {
  const data = buffers === undefined ? new Float32Array(tensor.size) : buffers.take(tensor.size);
  if (!readFloat32Into(tensor, data)) data.set(tensor.dataSync());
  return { shape: tensor.shape, data };
}

/** A runner of a whole model's `implementations`: `ManualWholeModel` and its twin `LayersWholeModel`. */
function createWholeModelRunner(spec: WholeModelFile, implementations: readonly Implementation[]): ChunkRunner {
  const models = implementations.map((implementation) => [implementation, implementation === 'manual' ? new ManualWholeModel(spec.model, spec.stateDict) : new LayersWholeModel(spec.model, spec.stateDict)] as const);
  return {
    run(chunk, buffers) {
      const { data, shape } = chunk.input;
      const input = spec.model.inputKind === 'ids' ? tf.tensor(Int32Array.from(data), shape, 'int32') : tf.tensor(data, shape, 'float32');
      try {
        const outputs: ChunkOutputs = {};
        for (const [implementation, model] of models) {
          const output = model.predict(input, { lengths: chunk.lengths });
          outputs[implementation] = { output: toHost(output, buffers) };
          output.dispose();
        }
        return outputs;
      } finally {
        input.dispose();
      }
    },
    dispose: () => models.forEach(([, model]) => model.dispose()),
  };
}

/** A runner of `implementations`, each model built from `spec` (the hand-written one's steps by `loop`). */
export function createChunkRunner(spec: ModelSpec | WholeModelFile, implementations: readonly Implementation[], loop: StepLoop): ChunkRunner {
  if ('model' in spec) return createWholeModelRunner(spec, implementations);
  const models = implementations.map((implementation) => [implementation, buildModel(spec, implementation, loop)] as const);
  return {
    run(chunk, buffers) {
      const toTensor = (array: HostArray) => tf.tensor(array.data, array.shape, 'float32');
      const input = toTensor(chunk.input);
      const states = [chunk.h0, chunk.c0].flatMap((array) => (array ? [toTensor(array)] : []));
      const hx: InitialState | undefined = states.length === 2 ? [states[0], states[1]] : states[0];
      try {
        const outputs: ChunkOutputs = {};
        for (const [implementation, model] of models) {
          const { output, hN, cN } = model.forward(input, hx, { lengths: chunk.lengths });
          outputs[implementation] = { output: toHost(output, buffers), hN: toHost(hN, buffers), ...(cN && { cN: toHost(cN, buffers) }) };
          tf.dispose([output, hN, ...(cN ? [cN] : [])]);
        }
        return outputs;
      } finally {
        tf.dispose([input, ...states]);
      }
    },
    dispose: () => models.forEach(([, model]) => model.dispose()),
  };
}

/**
 * The batch axes of a chunk's arrays (null: none, one unbatched sequence), from the file's
 * layout: the input's (`[N, L, F]` 0, `[L, N, F]` 1, a whole model's token ids `[N, L]` 0 or
 * `[L, N]` 1), the output's (a whole model's `[N, F_out]` per sequence: 0), and the states'
 * (h0, c0, h_n, c_n: `[S, N, H]` 1).
 */
export interface ChunkAxes {
  input: number | null;
  output: number | null;
  state: number | null;
}

/** The batch axes of the chunks of a file laid out as `layout`. */
export function chunkAxes(layout: FileLayout): ChunkAxes {
  return { input: layout.sequenceBatchAxis, output: layout.outputBatchAxis, state: layout.stateBatchAxis };
}

/** Rows `[start, end)` of `array` along `axis`: a view when they are contiguous (nothing before the axis but 1s), else a copy. */
function rowsOf(array: HostArray, axis: number, start: number, end: number): HostArray {
  const geometry = batchGeometry(array.shape, axis);
  const shape = withBatch(array.shape, axis, end - start);
  if (geometry.outer === 1) return { shape, data: array.data.subarray(start * geometry.inner, end * geometry.inner) };
  return { shape, data: sliceRows(array.data, geometry, start, end) };
}

/** The sequences of a chunk: its rows along the input's batch axis (1 unbatched). */
export function chunkRows(axes: ChunkAxes, chunk: Chunk): number {
  return axes.input === null ? 1 : chunk.input.shape[axes.input];
}

/** Rows `[start, end)` of a batched chunk (`axes.input` not null): the same sequences' input, h0, c0 and lengths (views where they can be). */
export function sliceChunk(axes: ChunkAxes, chunk: Chunk, start: number, end: number): Chunk {
  const state = axes.state as number;
  return {
    input: rowsOf(chunk.input, axes.input as number, start, end),
    h0: chunk.h0 && rowsOf(chunk.h0, state, start, end),
    c0: chunk.c0 && rowsOf(chunk.c0, state, start, end),
    lengths: chunk.lengths?.slice(start, end),
  };
}
