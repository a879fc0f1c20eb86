import * as tf from '@tensorflow/tfjs';
import { backendCapabilities, readSync } from '../backend/capabilities';
import { FullRNNConfig, GATE_COUNTS, layerInputSize, outputSize } from '../config';
import { SequenceLayout } from '../shapes';
import { StepLoop } from './hostLoop';
import { Cell } from './cells';
import { directionWeights } from './parameters';
import { HostProduct } from './simd/hostProduct';
import { productOfTransposed } from './simd/tensorProduct';
import { stepWeightsOf } from './stack';

/**
 * Multiply-adds of one sequence's call (`L` times `multiplyAddsPerStep`) up to which a
 * unidirectional hand-written model runs on host arrays under `loop: 'auto'` on backends
 * with vectorised kernels, whatever its size: short calls, such as one streamed step, cost
 * more in engine dispatch than in arithmetic. Per sequence, not per call, so that a sequence
 * gets the same bits alone and in any batch (the CLI's outputs do not depend on
 * `--batch-size`, shards or workers).
 */
export const HOST_FORWARD_MAX_MULTIPLY_ADDS = 1 << 17;

/**
 * Multiply-adds of one step of one sequence (`multiplyAddsPerStep`) up to which a
 * unidirectional model runs on host arrays under `loop: 'auto'` on wasm, however long the
 * call: a small model's step is a few µs of dispatch for under a µs of arithmetic (at `H_in`
 * 16: the RNN to `H` 82, the LSTM to 37, the GRU to 44). Measured on wasm over
 * (N, 1000, 16, 32), host ÷ direct kernels: 0.27–0.30 at N = 1, 0.93–1.01 at N = 8,
 * 1.60–1.77 at N = 64 (the kernels batch rows; the host computes each row alone).
 * The choice cannot look at N without giving a sequence other bits in a batch than alone;
 * `loop: 'tensor'` keeps large batches of small models on the kernels.
 */
export const HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS = 8192;

/** Multiply-adds of one step of one sequence through every layer: `Σ G·H·(H_in + H_out)` (+ `H·H_out` projections). */
export function multiplyAddsPerStep(config: FullRNNConfig): number {
  const gateSize = GATE_COUNTS[config.mode] * config.hiddenSize;
  const projection = config.projSize * config.hiddenSize;
  let total = 0;
  for (let layer = 0; layer < config.numLayers; layer++) total += gateSize * (layerInputSize(config, layer) + outputSize(config)) + projection;
  return total;
}

/**
 * Whether a call over sequences of `seqLen` steps runs on host arrays: never for a
 * bidirectional model, with `loop: 'tensor'`, or with dropout between layers in training
 * mode; always with `loop: 'host'`; under `'auto'` never where reads are not host copies
 * (`backendCapabilities(…).hostPath`: webgl, webgpu), else on the cpu backend, on wasm for
 * small models (`HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS` per step, measured there against its
 * kernels), and for short calls (`HOST_FORWARD_MAX_MULTIPLY_ADDS` per sequence).
 * Nothing here depends on the batch size.
 */
export function forwardRunsOnHost(config: FullRNNConfig, training: boolean, loop: StepLoop, seqLen: number): boolean {
  if (config.bidirectional || loop === 'tensor') return false;
  if (training && config.dropout > 0 && config.numLayers > 1) return false;
  const backend = tf.getBackend();
  if (loop === 'host') return true;
  if (!backendCapabilities(backend).hostPath) return false;
  if (backend === 'cpu') return true;
  const perStep = multiplyAddsPerStep(config);
  return (backend === 'wasm' && perStep <= HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS) || seqLen * perStep <= HOST_FORWARD_MAX_MULTIPLY_ADDS;
}

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

/** One layer's weights on the host, as `HostForward` reads them. */
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
 * A unidirectional model's forward pass on host arrays, for calls too small to pay for tf ops
 * (a streamed step at batch 1 costs a few µs of arithmetic and far more in engine dispatch):
 * each layer projects its input `x_t W_ihᵀ + projection bias` and runs its cell's host steps
 * (`Cell.stepsOnHost`), the same steps the `'host'` loop runs, the products on `HostProduct`.
 * The weights are read off the backend once, into the products, and read again only when a
 * parameter has changed: `assign` (which `loadStateDict` and every optimizer use) gives a
 * variable new data.
 */
export class HostForward {
  private cached?: { dataIds: object[]; layers: HostLayer[] };

  constructor(
    private readonly config: FullRNNConfig,
    private readonly cell: Cell,
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
      const sequences = this.cell.stepsOnHost!({
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
          input: productOfTransposed(tf.transpose(weights.weightIh), projectionBias),
          recurrent: productOfTransposed(stepWeights.recurrentT),
          hiddenBias: stepWeights.hiddenBias && Float32Array.from(readSync(stepWeights.hiddenBias, 'a forward on host arrays') as Float32Array),
          outputProjection: stepWeights.projectionT && productOfTransposed(stepWeights.projectionT),
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
function projectRows(product: HostProduct, x: Float32Array, count: number): Float32Array {
  const blockRows = Math.max(1, Math.floor(PROJECTION_BLOCK_FLOATS / (product.rows + product.columns)));
  if (count <= blockRows) return product.multiply(x, 0, count);
  const result = new Float32Array(count * product.rows);
  for (let start = 0; start < count; start += blockRows) {
    const rows = Math.min(blockRows, count - start);
    result.set(product.multiply(x, start * product.columns, rows), start * product.rows);
  }
  return result;
}
