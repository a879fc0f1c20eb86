import * as tf from '@tensorflow/tfjs';
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
  const result = run(timeMajor.dataSync() as Float32Array);
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

  constructor(
    private readonly config: FullRNNConfig,
    private readonly cell: Cell,
    private readonly steps: HostSteps,
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
  ) {}

  /**
   * @param input `[L, N, H_in]`, time-major, flat.
   * @param states one `[numLayers, N, F]` per carried state (h, and c for an LSTM), flat; zeros when absent.
   * @returns output `[L, N, H_out]` and the final states, as `runLayers` gives them.
   */
  run(input: Float32Array, seqLen: number, batchSize: number, states?: Float32Array[]): { output: Float32Array; states: Float32Array[] } {
    const sizes = this.cell.stateSizes(this.config);
    const initial = states ?? sizes.map((size) => new Float32Array(this.config.numLayers * batchSize * size));
    const finalStates = sizes.map((size) => new Float32Array(this.config.numLayers * batchSize * size));
    let layerInput = input;
    this.layers().forEach((layer, index) => {
      const slices = sizes.map((size) => [index * batchSize * size, (index + 1) * batchSize * size]);
      const sequences = this.steps({
        dims: { seqLen, batchSize, hiddenSize: sizes[0] },
        projection: projectRows(layer.input, layerInput, seqLen * batchSize),
        initial: initial.map((state, i) => state.subarray(slices[i][0], slices[i][1])),
        recurrent: layer.recurrent,
        hiddenBias: layer.hiddenBias,
        outputProjection: layer.outputProjection,
        reverse: false,
      });
      sequences.forEach((sequence, i) => finalStates[i].set(sequence.subarray(sequence.length - batchSize * sizes[i]), slices[i][0]));
      layerInput = sequences[0];
    });
    return { output: layerInput.slice(), states: finalStates };
  }

  /** The layers' weights on the host, read again when a parameter's data has changed. */
  private layers(): HostLayer[] {
    const dataIds = [...this.parameters.values()].map((variable) => variable.dataId);
    if (this.cached && this.cached.dataIds.every((dataId, i) => dataId === dataIds[i])) return this.cached.layers;
    this.release();
    let layers: HostLayer[] = [];
    tf.tidy(() => {
      layers = Array.from({ length: this.config.numLayers }, (_, layer): HostLayer => {
        const weights = directionWeights(this.parameters, this.config, layer, 0);
        const { projectionBias, stepWeights } = stepWeightsOf(this.cell, weights);
        return {
          input: hostProductOf(tf.transpose(weights.weightIh), projectionBias),
          recurrent: hostProductOf(stepWeights.recurrentT),
          hiddenBias: stepWeights.hiddenBias && Float32Array.from(stepWeights.hiddenBias.dataSync() as Float32Array),
          outputProjection: stepWeights.projectionT && hostProductOf(stepWeights.projectionT),
        };
      });
    });
    this.cached = { dataIds, layers };
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
