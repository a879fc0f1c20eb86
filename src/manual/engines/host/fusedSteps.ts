import { FullRNNConfig } from '../../../config';
import { LoopKernels, PlainMemory } from './loopKernels';
import { FLOAT_BYTES, KernelsInstance, PAGE_BYTES, StepKernels, WasmMemory, copyInto, kernelsInstance, releaseKernelsInstance } from './product';

/** One layer-direction's weights for its fused steps, flat and row-major. */
export interface FusedStepWeights {
  /** `W_hhᵀ` `[H_out, G·H]`. */
  recurrentT: Float32Array;
  /** LSTM with `projSize`: `W_hrᵀ` `[H, H_out]`. */
  projectionT?: Float32Array;
  /** GRU with biases: `b_hn` `[H]`. */
  hiddenBias?: Float32Array;
  /** When the steps project their own input (`project`): `W_ihᵀ` `[H_in, G·H]` and the projection bias `[G·H]` (zeros when absent). */
  input?: { weightsT: Float32Array; columns: number; bias?: Float32Array };
}

/**
 * One layer-direction's recurrence on the host kernels: per step ONE call into `kernels.wat`
 * (`rnnStep`, `lstmStep`, `gruStep`) computes `p_t + h W_hhᵀ`, the activations and the state
 * update, and writes the new states in place in the kernels' memory, where they stay across
 * steps and calls (read with `state`). Where WebAssembly SIMD is missing, `LoopKernels` run
 * the same operations on a plain buffer: the same bits.
 *
 * Memory, in floats: the weights (`W_hhᵀ`, `W_hrᵀ`, `b_hn`, zeros, `W_ihᵀ`, its bias); then,
 * for up to `batchCapacity` rows, lengths (i32), h `[N, H_out]`, c `[N, H]` and the steps'
 * scratch; then, for up to `rowCapacity` rows of `L·N`, x `[L·N, H_in]`, the projection
 * `[L·N, G·H]` and h and c after every step (`[L, N, ·]`).
 */
export abstract class FusedSteps {
  /** Features of each state: h (`H_out`), and c (`H`) for an LSTM. */
  readonly stateSizes: number[];
  protected readonly kernels: StepKernels;
  private readonly memory: WasmMemory;
  protected floats = new Float32Array(0);
  private ints = new Int32Array(0);
  private released = false;
  // Where each region starts, in floats.
  protected readonly recurrentTAt = 0;
  protected readonly projectionTAt: number;
  protected readonly hiddenBiasAt: number;
  protected readonly zerosAt: number;
  private readonly inputWeightsAt: number;
  private readonly inputBiasAt: number;
  private readonly fixedFloats: number;
  private batchCapacity = 0;
  private rowCapacity = 0;
  protected lengthsAt = 0;
  protected hiddenAt = 0;
  protected cellsAt = 0;
  protected gatesAt = 0;
  protected unprojectedAt = 0;
  protected projectedAt = 0;
  private xAt = 0;
  protected projectionAt = 0;
  protected hiddenSequenceAt = 0;
  protected cellSequenceAt = 0;
  /** The last `run`'s steps and rows. */
  private seqLen = 0;
  private batchSize = 0;

  /**
   * @param gateSize G·H. @param outSize h's features, `H_out`. @param cellSize c's features, `H` (an LSTM's; else `H_out`).
   * @param instance the kernels' instance whose memory the steps use, or undefined for the plain loops.
   */
  constructor(
    readonly gateSize: number,
    readonly outSize: number,
    readonly cellSize: number,
    private readonly weights: FusedStepWeights,
    private readonly instance: KernelsInstance | undefined,
    cells: boolean,
  ) {
    this.stateSizes = cells ? [outSize, cellSize] : [outSize];
    this.memory = instance ? instance.exports.memory : new PlainMemory();
    this.kernels = instance ? instance.exports : new LoopKernels(this.memory);
    this.projectionTAt = this.recurrentTAt + outSize * gateSize;
    this.hiddenBiasAt = this.projectionTAt + (weights.projectionT ? cellSize * outSize : 0);
    this.zerosAt = this.hiddenBiasAt + cellSize;
    this.inputWeightsAt = this.zerosAt + Math.max(gateSize, outSize);
    this.inputBiasAt = this.inputWeightsAt + (weights.input ? weights.input.columns * gateSize : 0);
    this.fixedFloats = this.inputBiasAt + (weights.input ? gateSize : 0);
    this.reserve(1, 1);
  }

  /** Features of each row of x that `project` takes. */
  get inputSize(): number {
    return this.weights.input?.columns ?? 0;
  }

  /**
   * Makes room for a call of `seqLen` steps of `batchSize` rows. The states in memory stay
   * unless `batchSize` exceeds every batch before (then they must be set again: `setStates`).
   * @returns whether the states stayed.
   */
  reserve(seqLen: number, batchSize: number): boolean {
    const rows = seqLen * batchSize;
    const keepsStates = batchSize <= this.batchCapacity;
    if (keepsStates && rows <= this.rowCapacity) return true;
    const batch = Math.max(batchSize, this.batchCapacity);
    const rowCapacity = Math.max(rows, keepsStates ? 2 * this.rowCapacity : rows);
    const { gateSize, outSize, cellSize } = this;
    // Regions start on 16-byte boundaries.
    const align = (floats: number) => Math.ceil(floats / 4) * 4;
    let at = align(this.fixedFloats);
    const place = (floats: number) => {
      const start = at;
      at = align(at + floats);
      return start;
    };
    this.lengthsAt = place(batch);
    this.hiddenAt = place(batch * outSize);
    this.cellsAt = place(batch * cellSize);
    this.gatesAt = place(batch * gateSize);
    this.unprojectedAt = place(batch * cellSize);
    this.projectedAt = place(batch * outSize);
    this.xAt = place(rowCapacity * this.inputSize);
    this.projectionAt = place(rowCapacity * gateSize);
    this.hiddenSequenceAt = place(rowCapacity * outSize);
    this.cellSequenceAt = place(rowCapacity * cellSize);
    const pages = Math.ceil((at * FLOAT_BYTES) / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) this.memory.grow(pages);
    this.floats = new Float32Array(this.memory.buffer);
    this.ints = new Int32Array(this.memory.buffer);
    if (this.batchCapacity === 0) this.writeWeights();
    this.batchCapacity = batch;
    this.rowCapacity = rowCapacity;
    return keepsStates;
  }

  private writeWeights(): void {
    const { floats, weights, gateSize, outSize, cellSize } = this;
    floats.set(weights.recurrentT.subarray(0, outSize * gateSize), this.recurrentTAt);
    if (weights.projectionT) floats.set(weights.projectionT.subarray(0, cellSize * outSize), this.projectionTAt);
    floats.fill(0, this.hiddenBiasAt, this.inputWeightsAt);
    if (weights.hiddenBias) floats.set(weights.hiddenBias.subarray(0, cellSize), this.hiddenBiasAt);
    if (weights.input) {
      floats.set(weights.input.weightsT.subarray(0, weights.input.columns * gateSize), this.inputWeightsAt);
      if (weights.input.bias) floats.set(weights.input.bias.subarray(0, gateSize), this.inputBiasAt);
      else floats.fill(0, this.inputBiasAt, this.inputBiasAt + gateSize);
    }
  }

  /** Sets the states of `batchSize` rows: one `[N, F]` per state from `from[s]` at `offset[s]`, or zeros. */
  setStates(batchSize: number, states?: Float32Array[], offsets?: number[]): void {
    const { floats, stateSizes } = this;
    for (let s = 0; s < stateSizes.length; s++) {
      const at = s === 0 ? this.hiddenAt : this.cellsAt;
      const length = batchSize * stateSizes[s];
      if (states === undefined) floats.fill(0, at, at + length);
      else copyInto(floats, at, states[s], offsets === undefined ? 0 : offsets[s], length);
    }
  }

  /** State `s` (h, then c) of the rows of the last call, `[N, F]`: a view of the memory, valid until the next call. */
  state(s: number, batchSize: number): Float32Array {
    const at = s === 0 ? this.hiddenAt : this.cellsAt;
    return this.floats.subarray(at, at + batchSize * this.stateSizes[s]);
  }

  /** `p = x W_ihᵀ + bias` for the `count` rows of x `[count, H_in]` at `x[xOffset]` (after `reserve`). */
  project(x: Float32Array, xOffset: number, count: number): void {
    const { floats, gateSize } = this;
    const columns = this.inputSize;
    copyInto(floats, this.xAt, x, xOffset, count * columns);
    this.kernels.biasPlusProducts(
      this.projectionAt * FLOAT_BYTES, this.inputBiasAt * FLOAT_BYTES, 0, this.xAt * FLOAT_BYTES, this.inputWeightsAt * FLOAT_BYTES, count, gateSize, columns,
    );
  }

  /** Sets the projection `[L·N, G·H]` the steps read (after `reserve`). */
  setProjection(projection: Float32Array, count: number): void {
    copyInto(this.floats, this.projectionAt, projection, 0, count * this.gateSize);
  }

  /**
   * Runs `seqLen` steps of `batchSize` rows on the projection in memory from the states in
   * memory (after `reserve`), in reading order; a row with `lengths[b] ≤ t` keeps its states
   * at step t. With `cellSequence`, c after every step is kept too (else only h's).
   */
  run(seqLen: number, batchSize: number, reverse: boolean, lengths?: Int32Array, cellSequence = false): void {
    const { ints, lengthsAt } = this;
    if (lengths === undefined) ints.fill(seqLen, lengthsAt, lengthsAt + batchSize);
    else for (let b = 0; b < batchSize; b++) ints[lengthsAt + b] = lengths[b];
    this.seqLen = seqLen;
    this.batchSize = batchSize;
    this.runSteps(seqLen, batchSize, reverse, cellSequence);
  }

  /** The memory's floats, valid until the next `reserve`: with `hiddenSequenceStart`, the last run's h without a new view. */
  get heap(): Float32Array {
    return this.floats;
  }

  /** Where `hiddenSequence` starts in `heap`. */
  get hiddenSequenceStart(): number {
    return this.hiddenSequenceAt;
  }

  /** h after every step of the last `run`, `[L, N, H_out]` in time order: a view, valid until the next call. */
  hiddenSequence(): Float32Array {
    return this.floats.subarray(this.hiddenSequenceAt, this.hiddenSequenceAt + this.seqLen * this.batchSize * this.outSize);
  }

  /** c after every step of the last `run` with `cellSequence`, `[L, N, H]`: a view, valid until the next call. */
  cellSequence(): Float32Array {
    return this.floats.subarray(this.cellSequenceAt, this.cellSequenceAt + this.seqLen * this.batchSize * this.cellSize);
  }

  /** Bytes of the kernels' memory (it grows with the largest call, and only then). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Hands the kernels' instance to the next user; the steps are not used again. */
  release(): void {
    if (!this.released && this.instance) releaseKernelsInstance(this.instance);
    this.released = true;
  }

  /** The cell's steps: its own loop, one kernel call per step (one shape of code per cell). */
  protected abstract runSteps(seqLen: number, batchSize: number, reverse: boolean, cellSequence: boolean): void;
}

/** RNN, tanh or relu: `rnnStep`. */
class RnnSteps extends FusedSteps {
  constructor(weights: FusedStepWeights, instance: KernelsInstance | undefined, size: number, private readonly relu: number) {
    super(size, size, size, weights, instance, false);
  }

  protected runSteps(seqLen: number, batchSize: number, reverse: boolean): void {
    const size = this.outSize;
    const B = FLOAT_BYTES;
    for (let i = 0; i < seqLen; i++) {
      const t = reverse ? seqLen - 1 - i : i;
      this.kernels.rnnStep(
        (this.projectionAt + t * batchSize * size) * B, this.recurrentTAt * B, this.hiddenAt * B, this.gatesAt * B,
        (this.hiddenSequenceAt + t * batchSize * size) * B, this.lengthsAt * B, t, batchSize, size, this.relu,
      );
    }
  }
}

/** LSTM, with or without a projection: `lstmStep`. */
class LstmSteps extends FusedSteps {
  constructor(weights: FusedStepWeights, instance: KernelsInstance | undefined, cellSize: number, outSize: number) {
    super(4 * cellSize, outSize, cellSize, weights, instance, true);
  }

  protected runSteps(seqLen: number, batchSize: number, reverse: boolean, cellSequence: boolean): void {
    const { gateSize, outSize, cellSize } = this;
    const B = FLOAT_BYTES;
    const projects = this.outSize < this.cellSize ? 1 : 0;
    for (let i = 0; i < seqLen; i++) {
      const t = reverse ? seqLen - 1 - i : i;
      this.kernels.lstmStep(
        (this.projectionAt + t * batchSize * gateSize) * B, this.recurrentTAt * B, this.projectionTAt * B, this.zerosAt * B,
        this.hiddenAt * B, this.cellsAt * B, this.gatesAt * B, this.unprojectedAt * B, this.projectedAt * B,
        (this.hiddenSequenceAt + t * batchSize * outSize) * B, (this.cellSequenceAt + (cellSequence ? t * batchSize * cellSize : 0)) * B,
        this.lengthsAt * B, t, batchSize, cellSize, outSize, projects,
      );
    }
  }
}

/** GRU: `gruStep`. */
class GruSteps extends FusedSteps {
  constructor(weights: FusedStepWeights, instance: KernelsInstance | undefined, size: number) {
    super(3 * size, size, size, weights, instance, false);
  }

  protected runSteps(seqLen: number, batchSize: number, reverse: boolean): void {
    const { gateSize, outSize } = this;
    const B = FLOAT_BYTES;
    for (let i = 0; i < seqLen; i++) {
      const t = reverse ? seqLen - 1 - i : i;
      this.kernels.gruStep(
        (this.projectionAt + t * batchSize * gateSize) * B, this.recurrentTAt * B, this.hiddenBiasAt * B, this.zerosAt * B,
        this.hiddenAt * B, this.gatesAt * B, (this.hiddenSequenceAt + t * batchSize * outSize) * B, this.lengthsAt * B, t, batchSize, outSize,
      );
    }
  }
}

/**
 * A configuration's fused steps for one layer-direction on the SIMD kernels, or with
 * `plainLoops` (or where WebAssembly SIMD is missing) on the plain loops.
 * @param outSize h's features (`H_out`); `weights.recurrentT` `[H_out, G·H]`.
 */
export function createFusedSteps(config: FullRNNConfig, weights: FusedStepWeights, outSize: number, plainLoops = false): FusedSteps {
  const instance = plainLoops ? undefined : kernelsInstance();
  switch (config.mode) {
    case 'RNN':
      return new RnnSteps(weights, instance, config.hiddenSize, config.nonlinearity === 'relu' ? 1 : 0);
    case 'LSTM':
      return new LstmSteps(weights, instance, config.hiddenSize, outSize);
    case 'GRU':
      return new GruSteps(weights, instance, config.hiddenSize);
  }
}
