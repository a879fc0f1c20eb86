import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '../../../backend/capabilities';
import { FullRNNConfig, outputSize } from '../../../config';
import { SequenceLayout } from '../../../shapes';
import { Cell } from '../../cells';
import { directionWeights, stepWeightsOf } from '../../parameters';
import { HostProduct } from './product';
import { hostProductOf } from './productFromTensor';
import { HostSteps } from './stepLoop';

/**
 * A host call on a tensor in the caller's layout (`[N, L, H_in]` batchFirst, `[L, N, H_in]`,
 * or unbatched `[L, H_in]`): `run` gets its values time-major, and its output `[L, N, H_out]`
 * comes back as a tensor in the same layout. Batch-first calls of more than one sequence are
 * transposed by the backend (at batch 1 the two layouts are the same values).
 */
export function hostCallInLayout(
  config: FullRNNConfig,
  { seqLen, batchSize, batched }: SequenceLayout,
  input: tf.Tensor,
  run: (timeMajor: Float32Array) => Float32Array,
): tf.Tensor {
  const transposed = batched && config.batchFirst && batchSize > 1;
  const timeMajor = transposed ? tf.transpose(input, [1, 0, 2]) : input;
  const result = run(readSync(timeMajor, 'a forward on host arrays') as Float32Array);
  if (transposed) timeMajor.dispose();
  const features = outputSize(config);
  if (!batched) return tf.tensor(result, [seqLen, features]);
  if (!config.batchFirst) return tf.tensor(result, [seqLen, batchSize, features]);
  if (!transposed) return tf.tensor(result, [batchSize, seqLen, features]);
  return tf.tidy(() => tf.transpose(tf.tensor3d(result, [seqLen, batchSize, features]), [1, 0, 2]));
}

/** One layer's weights on the host, as `HostModelForward` reads them. */
interface HostLayer {
  /** `x ↦ x W_ihᵀ + projection bias` `[·, H_in]` → `[·, G·H]`. */
  input: HostProduct;
  /** `h ↦ h W_hhᵀ` `[N, H_out]` → `[N, G·H]`. */
  recurrent: HostProduct;
  /** GRU with biases: `b_hn` `[H]`. */
  hiddenBias?: Float32Array;
  /** LSTM with `projSize`: `u ↦ u W_hrᵀ`. */
  outputProjection?: HostProduct;
}

/**
 * A unidirectional model's whole forward pass on host arrays, with no tensor made (the plan's
 * `wholeOnHost`: a streamed step at batch 1 costs a few µs of arithmetic and far more in
 * engine dispatch): each layer projects its input `x_t W_ihᵀ + projection bias` and runs its
 * cell's host steps (`hostStepsFor`), the same products and steps as the host engine layer by
 * layer, so the same bits.
 * The weights are read off the backend once, into the products, and read again only when a
 * parameter has changed: `assign` (which `loadStateDict` and every optimizer use) gives a
 * variable new data.
 */
export class HostModelForward {
  private cached?: { dataIds: object[]; layers: HostLayer[] };
  /** The parameters in their order (the map never changes; `assign` gives a variable new data). */
  private readonly variables: tf.Variable[];
  /** Features of each carried state, h first. */
  private readonly sizes: number[];

  constructor(
    private readonly config: FullRNNConfig,
    private readonly cell: Cell,
    private readonly steps: HostSteps,
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
  ) {
    this.variables = [...parameters.values()];
    this.sizes = [...cell.stateSizes(config)];
  }

  /**
   * @param input `[L, N, H_in]`, time-major, flat.
   * @param states one `[numLayers, N, F]` per carried state (h, and c for an LSTM), flat; zeros when absent.
   * @returns output `[L, N, H_out]` and the final states, as `runLayers` gives them.
   */
  run(input: Float32Array, seqLen: number, batchSize: number, states?: Float32Array[]): { output: Float32Array; states: Float32Array[] } {
    // Plain loops and arrays built by push: one shape of code on every call (see `runHostSteps`).
    const { sizes, steps } = this;
    const { numLayers } = this.config;
    const finalStates: Float32Array[] = [];
    for (let s = 0; s < sizes.length; s++) finalStates.push(new Float32Array(numLayers * batchSize * sizes[s]));
    const layers = this.layers();
    let layerInput = input;
    for (let layer = 0; layer < numLayers; layer++) {
      const { input: inputProduct, recurrent, hiddenBias, outputProjection } = layers[layer];
      const initial: Float32Array[] = [];
      for (let s = 0; s < sizes.length; s++) {
        const start = layer * batchSize * sizes[s];
        initial.push(states === undefined ? finalStates[s].subarray(start, start + batchSize * sizes[s]) : states[s].subarray(start, start + batchSize * sizes[s]));
      }
      const sequences = steps({
        dims: { seqLen, batchSize, hiddenSize: sizes[0] },
        projection: projectRows(inputProduct, layerInput, seqLen * batchSize),
        initial,
        recurrent,
        hiddenBias,
        outputProjection,
        reverse: false,
      });
      for (let s = 0; s < sizes.length; s++) {
        const last = sequences[s].length - batchSize * sizes[s];
        finalStates[s].set(sequences[s].subarray(last), layer * batchSize * sizes[s]);
      }
      layerInput = sequences[0];
    }
    return { output: layerInput.slice(), states: finalStates };
  }

  /** The layers' weights on the host, read again when a parameter's data has changed. */
  private layers(): HostLayer[] {
    const { cached, variables } = this;
    let current = cached !== undefined;
    for (let i = 0; current && i < variables.length; i++) current = variables[i].dataId === cached!.dataIds[i];
    if (current) return cached!.layers;
    this.release();
    let layers: HostLayer[] = [];
    tf.tidy(() => {
      layers = Array.from({ length: this.config.numLayers }, (_, layer): HostLayer => {
        const weights = directionWeights(this.parameters, this.config, layer, 0);
        const { projectionBias, stepWeights } = stepWeightsOf(this.cell, weights);
        return {
          input: hostProductOf(tf.transpose(weights.weightIh), projectionBias),
          recurrent: hostProductOf(stepWeights.recurrentT),
          hiddenBias: stepWeights.hiddenBias && Float32Array.from(readSync(stepWeights.hiddenBias, 'a forward on host arrays') as Float32Array),
          outputProjection: stepWeights.projectionT && hostProductOf(stepWeights.projectionT),
        };
      });
    });
    this.cached = { dataIds: variables.map((variable) => variable.dataId), layers };
    return layers;
  }

  /** Hands the cached products' buffers back (`HostProduct.release`); the next call reads the weights again. */
  release(): void {
    this.cached?.layers.forEach(({ input, recurrent, outputProjection }) => [input, recurrent, outputProjection].forEach((product) => product?.release()));
    this.cached = undefined;
  }
}

/** Floats of x and of the sums a projection holds per call: its buffers stay within a few MiB. */
const PROJECTION_BLOCK_FLOATS = 1 << 20;

/**
 * `product` applied to each of the `count` rows of x `[count, columns]`: `[count, rows]`, in
 * blocks of rows; in one block, the product's own view (valid until its next call).
 */
export function projectRows(product: HostProduct, x: Float32Array, count: number): Float32Array {
  const blockRows = Math.max(1, Math.floor(PROJECTION_BLOCK_FLOATS / (product.rows + product.columns)));
  if (count <= blockRows) return product.multiply(x, 0, count);
  const result = new Float32Array(count * product.rows);
  for (let start = 0; start < count; start += blockRows) {
    const rows = Math.min(blockRows, count - start);
    result.set(product.multiply(x, start * product.columns, rows), start * product.rows);
  }
  return result;
}
