import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '../../../backend/capabilities';
import { FullRNNConfig, outputSize } from '../../../config';
import { SequenceLayout } from '../../../shapes';
import { Cell } from '../../cells';
import { directionWeights, stepWeightsOf } from '../../parameters';
import type { CellEngines } from '../index';
import { FusedSteps } from './fusedSteps';
import { HostProduct, RETAINED_MEMORY_BYTES } from './product';
import { readValues, tensorOfValues } from './tensorValues';

/**
 * A host call on a tensor in the caller's layout (`[N, L, H_in]` batchFirst, `[L, N, H_in]`,
 * or unbatched `[L, H_in]`): `run` gets its values time-major, and its output `[L, N, H_out]`
 * comes back as a tensor in the same layout. Batch-first calls of more than one sequence are
 * transposed by the backend (at batch 1 the two layouts are the same values). `run` gets its
 * input as a reader of a view of the backend's memory (`HostInput`) and may return a view of
 * its own (`readValues`, `tensorOfValues`): no array is made per call on wasm.
 */
export function hostCallInLayout(
  config: FullRNNConfig,
  { seqLen, batchSize, batched }: SequenceLayout,
  input: tf.Tensor,
  run: (timeMajor: () => Float32Array) => Float32Array,
): tf.Tensor {
  const transposed = batched && config.batchFirst && batchSize > 1;
  const timeMajor = transposed ? tf.transpose(input, [1, 0, 2]) : input;
  const result = run(() => readValues(timeMajor, 'a forward on host arrays'));
  if (transposed) timeMajor.dispose();
  const features = outputSize(config);
  if (!batched) return tensorOfValues(result, [seqLen, features]);
  if (!config.batchFirst) return tensorOfValues(result, [seqLen, batchSize, features]);
  if (!transposed) return tensorOfValues(result, [batchSize, seqLen, features]);
  return tf.tidy(() => tf.transpose(tensorOfValues(result, [seqLen, batchSize, features]), [1, 0, 2]));
}

/**
 * A host call's input `[L, N, H_in]`, time-major, flat: the values, or a function that gives
 * them as a view of a tensor's memory (`readValues`), called once the weights are in the
 * kernels (reading them may run tf ops, which can move that memory).
 */
export type HostInput = Float32Array | (() => Float32Array);

/** A host call's input values (its reader called, if a reader). */
function valuesOf(input: HostInput): Float32Array {
  return typeof input === 'function' ? input() : input;
}

/**
 * A stream's states on the host (`StreamingRNN`): one `[numLayers, N, F]` per carried state.
 * While the stream is the last to have run (`HostModelForward.runStream`), they are in the
 * layers' kernel memory and `values` is undefined; another caller's run copies them back
 * here first. Zeros when undefined and never run.
 */
export class HostStreamStates {
  constructor(
    readonly batchSize: number,
    public values?: Float32Array[],
  ) {}
}

/**
 * A unidirectional model's whole forward pass on host arrays, with no tensor made (the plan's
 * `wholeOnHost`: a streamed step at batch 1 costs a few µs of arithmetic and far more in
 * engine dispatch): each layer's fused steps (`FusedSteps`) project its input
 * `x_t W_ihᵀ + projection bias` and run its cell's steps in their kernels' memory, the same
 * kernels as the host engine layer by layer, so the same bits. A stream's states stay in that
 * memory from call to call (`runStream`).
 * The weights are read off the backend once, into the layers' kernels, and read again only
 * when a parameter has changed: `assign` (which `loadStateDict` and every optimizer use) gives
 * a variable new data.
 */
export class HostModelForward {
  private cached?: { dataIds: object[]; layers: FusedSteps[] };
  /** The parameters in their order (the map never changes; `assign` gives a variable new data). */
  private readonly variables: tf.Variable[];
  /** Features of each carried state, h first. */
  private readonly sizes: number[];
  /** The stream whose states the layers' kernels hold. */
  private resident?: HostStreamStates;

  constructor(
    private readonly config: FullRNNConfig,
    private readonly cell: Cell,
    private readonly engines: CellEngines,
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
  ) {
    this.variables = [...parameters.values()];
    this.sizes = [...cell.stateSizes(config)];
  }

  /**
   * @param input `[L, N, H_in]`, time-major, flat (or its reader, `HostInput`).
   * @param states one `[numLayers, N, F]` per carried state (h, and c for an LSTM), flat; zeros when absent.
   * @returns output `[L, N, H_out]` and the final states, as `runLayers` gives them; the
   *   output a view of the kernels' memory, valid until the next call (`run` copies it).
   */
  runInPlace(input: HostInput, seqLen: number, batchSize: number, states?: Float32Array[]): { output: Float32Array; states: Float32Array[] } {
    const layers = this.layers();
    this.evict();
    for (let layer = 0; layer < layers.length; layer++) {
      layers[layer].reserve(seqLen, batchSize);
      layers[layer].setStates(batchSize, states, this.layerOffsets(layer, batchSize));
    }
    const output = this.forward(layers, valuesOf(input), seqLen, batchSize);
    return { output, states: this.statesOf(layers, batchSize) };
  }

  /** `runInPlace` with the output copied, the caller's to keep. */
  run(input: Float32Array, seqLen: number, batchSize: number, states?: Float32Array[]): { output: Float32Array; states: Float32Array[] } {
    const result = this.runInPlace(input, seqLen, batchSize, states);
    const output = result.output.slice();
    this.trim();
    return { output, states: result.states };
  }

  /**
   * Gives the layers' kernel memory back when a call grew it beyond `RETAINED_MEMORY_BYTES`
   * (after the caller has read the call's output): the next call reads the weights again.
   */
  trim(): void {
    if (this.cached?.layers.some((steps) => steps.memoryBytes > RETAINED_MEMORY_BYTES)) this.release();
  }

  /**
   * `runInPlace` from a stream's states, which stay in the kernels' memory afterwards (no copy
   * in or out while the stream runs call after call).
   * @returns output `[L, N, H_out]`: a view of the kernels' memory, valid until the next call.
   */
  runStream(stream: HostStreamStates, input: HostInput, seqLen: number): Float32Array {
    const { batchSize } = stream;
    const layers = this.layers();
    if (this.resident !== stream) {
      this.evict();
      for (let layer = 0; layer < layers.length; layer++) {
        layers[layer].reserve(seqLen, batchSize);
        layers[layer].setStates(batchSize, stream.values, this.layerOffsets(layer, batchSize));
      }
      stream.values = undefined;
      this.resident = stream;
    }
    return this.forward(layers, valuesOf(input), seqLen, batchSize);
  }

  /** A stream's states, copied: one `[numLayers, N, F]` per carried state; undefined for zeros. */
  streamStates(stream: HostStreamStates): Float32Array[] | undefined {
    if (this.resident !== stream) return stream.values;
    return this.statesOf(this.cached!.layers, stream.batchSize);
  }

  /**
   * Every layer's steps over the sequence from the states in memory, each layer's input read
   * straight from the memory of the layer before (no view made per call).
   * @returns the last layer's h `[L, N, H_out]`: a view of its memory, valid until the next call.
   */
  private forward(layers: FusedSteps[], input: Float32Array, seqLen: number, batchSize: number): Float32Array {
    const rows = seqLen * batchSize;
    let layerInput = input;
    let inputStart = 0;
    for (let layer = 0; layer < layers.length; layer++) {
      const steps = layers[layer];
      steps.reserve(seqLen, batchSize);
      steps.project(layerInput, inputStart, rows);
      steps.run(seqLen, batchSize, false);
      layerInput = steps.heap;
      inputStart = steps.hiddenSequenceStart;
    }
    return layerInput.subarray(inputStart, inputStart + rows * this.sizes[0]);
  }

  /** Where layer `layer`'s rows start in each `[numLayers, N, F]` state. */
  private layerOffsets(layer: number, batchSize: number): number[] {
    const offsets: number[] = [];
    for (let s = 0; s < this.sizes.length; s++) offsets.push(layer * batchSize * this.sizes[s]);
    return offsets;
  }

  /** The layers' states in memory, copied into one `[numLayers, N, F]` per carried state. */
  private statesOf(layers: FusedSteps[], batchSize: number): Float32Array[] {
    const { sizes } = this;
    const states: Float32Array[] = [];
    for (let s = 0; s < sizes.length; s++) {
      const values = new Float32Array(layers.length * batchSize * sizes[s]);
      for (let layer = 0; layer < layers.length; layer++) values.set(layers[layer].state(s, batchSize), layer * batchSize * sizes[s]);
      states.push(values);
    }
    return states;
  }

  /** Copies the resident stream's states out of the kernels' memory, before another caller uses it. */
  private evict(): void {
    const { resident, cached } = this;
    if (resident === undefined) return;
    if (cached !== undefined) resident.values = this.statesOf(cached.layers, resident.batchSize);
    this.resident = undefined;
  }

  /** The layers' fused steps, built again when a parameter's data has changed. */
  private layers(): FusedSteps[] {
    const { cached, variables } = this;
    let current = cached !== undefined;
    for (let i = 0; current && i < variables.length; i++) current = variables[i].dataId === cached!.dataIds[i];
    if (current) return cached!.layers;
    this.release();
    let layers: FusedSteps[] = [];
    const read = (tensor: tf.Tensor) => readSync(tensor, 'a forward on host arrays') as Float32Array;
    tf.tidy(() => {
      layers = Array.from({ length: this.config.numLayers }, (_, layer): FusedSteps => {
        const weights = directionWeights(this.parameters, this.config, layer, 0);
        const { projectionBias, stepWeights } = stepWeightsOf(this.cell, weights);
        const input = { weightsT: read(tf.transpose(weights.weightIh)), columns: weights.weightIh.shape[1], bias: projectionBias && read(projectionBias) };
        const { recurrentT, projectionT, hiddenBias } = stepWeights;
        return this.engines.host(
          { recurrentT: read(recurrentT), projectionT: projectionT && read(projectionT), hiddenBias: hiddenBias && read(hiddenBias), input },
          this.sizes[0],
        );
      });
    });
    this.cached = { dataIds: variables.map((variable) => variable.dataId), layers };
    return layers;
  }

  /** Copies a resident stream's states out and hands the layers' kernels back; the next call reads the weights again. */
  release(): void {
    this.evict();
    this.cached?.layers.forEach((steps) => steps.release());
    this.cached = undefined;
  }
}

/** Floats of x and of the sums a projection holds per call: its buffers stay within a few MiB. */
const PROJECTION_BLOCK_FLOATS = 1 << 20;

/**
 * `product` applied to each of the `count` rows of x `[count, columns]`, written into
 * `out` `[count, rows]`, in blocks of rows (its buffers stay within a few MiB).
 */
export function projectRowsInto(product: HostProduct, x: Float32Array, count: number, out: Float32Array): void {
  const blockRows = Math.max(1, Math.floor(PROJECTION_BLOCK_FLOATS / (product.rows + product.columns)));
  for (let start = 0; start < count; start += blockRows) {
    const rows = Math.min(blockRows, count - start);
    out.set(product.multiply(x, start * product.columns, rows), start * product.rows);
  }
}
