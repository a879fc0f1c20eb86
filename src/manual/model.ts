import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, GRUConfig, LSTMConfig, RNNConfig, checkConfig, parameterSpecs, withMode } from '../config';
import { checkSyncReads, readSync } from '../backend/capabilities';
import { ArgumentError, ConfigError, ShapeError, describeValue } from '../errors';
import {
  ForwardOptions,
  InitialState,
  Lifecycle,
  RNNOutput,
  RecurrentModel,
  batchedInitialStates,
  checkInitialStates,
  checkInput,
  checkLengths,
  finalState,
  SequenceLayout,
  stateShapes,
  fromTimeMajor,
  toTimeMajor,
} from '../shapes';
import { Cell } from './cells';
import { CellEngines, cellEnginesFor } from './engines';
import { HostInput, HostModelForward, HostStreamStates, hostCallInLayout } from './engines/host';
import { wasmKernels } from './engines/wasm';
import { initParameters } from './parameters';
import { ForwardPlan, STEP_LOOPS, StepLoop, planForward } from './plan';
import { runLayers } from './stack';
import { StateDictInput, assignStateDict } from './stateDict';

export interface ManualOptions {
  /** Seed of the default initialisation; random when absent. */
  seed?: number;
  /**
   * How the forward recurrence runs its steps: `'host'` on typed arrays (the host engine),
   * `'tensor'` on the backend (wasm's kernels called directly, else tf ops), `'auto'`
   * whichever is faster (`planForward`: the host on cpu, for short calls and, on wasm, for
   * small models; never on GPU backends, webgl and webgpu: `backendCapabilities`). `'host'`
   * throws `BackendError` on a backend whose tensors cannot be read synchronously (webgpu).
   * All give PyTorch's numbers; the gradient is the same either way.
   * @default 'auto'
   */
  loop?: StepLoop;
}

/**
 * A recurrent model written out, for every mode: every layer and direction projects its
 * whole input with one matMul, then runs its cell's steps (`cells/`) as tf ops, on host
 * arrays or through wasm's kernels (`loop`). Parameters are `tf.Variable`s named and shaped
 * as in PyTorch's `state_dict`. `ManualRNN`, `ManualLSTM` and `ManualGRU` fix the mode.
 */
export class ManualModel<State extends InitialState = InitialState> implements RecurrentModel {
  readonly config: FullRNNConfig;
  training = true;
  /** How the forward recurrence runs its steps (see `ManualRNNOptions.loop`). */
  readonly loop: StepLoop;
  private readonly parameters: Map<string, tf.Variable>;
  private readonly engines: CellEngines;
  private readonly lifecycle: Lifecycle;
  private readonly host: HostModelForward;

  constructor(config: RNNConfig, options: ManualOptions = {}) {
    this.config = checkConfig(config);
    this.engines = cellEnginesFor(this.config);
    this.lifecycle = new Lifecycle('model', new.target.name);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ArgumentError('seed', 'an integer', describeValue(options.seed));
    }
    const loop = options.loop ?? 'auto';
    if (!STEP_LOOPS.includes(loop)) {
      throw new ArgumentError('loop', `one of ${STEP_LOOPS.map((name) => `'${name}'`).join(', ')}`, `'${loop}'`);
    }
    this.loop = loop;
    this.parameters = initParameters(parameterSpecs(this.config), this.config.hiddenSize, options.seed);
    this.host = new HostModelForward(this.config, this.engines.cell, this.engines, this.parameters);
  }

  /** Sets training mode (dropout between layers on), as PyTorch's `module.train(mode)`. */
  train(mode = true): this {
    this.lifecycle.check();
    this.training = mode;
    return this;
  }

  /** Sets evaluation mode, as PyTorch's `module.eval()`. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters keyed by PyTorch's names, in PyTorch's order; owned by this model. */
  namedParameters(): Map<string, tf.Variable> {
    this.lifecycle.check();
    return new Map(this.parameters);
  }

  /** The parameters as a PyTorch-style `state_dict`; the tensors are owned by this model. */
  stateDict(): Record<string, tf.Tensor> {
    this.lifecycle.check();
    return Object.fromEntries(this.parameters);
  }

  /**
   * Copies parameters in, as PyTorch's `load_state_dict(strict=True)`: every key must be
   * present with its shape, and no other key; all problems are reported in one `WeightsError`.
   * Every entry must be a live float32 tf.Tensor, or a host array `{shape, data: Float32Array}`
   * as the top-level `loadStateDict(path)` returns them; nothing is assigned unless all pass.
   */
  loadStateDict(stateDict: StateDictInput): void {
    this.lifecycle.checkParameters(this.parameters);
    assignStateDict(this.parameters, stateDict, this.config);
  }

  /** The parameters as one list, in PyTorch's order, for an optimizer; owned by this model. */
  trainableVariables(): tf.Variable[] {
    this.lifecycle.check();
    return [...this.parameters.values()];
  }

  /**
   * As PyTorch's `module(input, hx)`: `hx` is `h0` (`[h0, c0]` for an LSTM); see `RecurrentModel`.
   * @returns `output`, `hN` (and `cN` for an LSTM), owned by the caller.
   */
  forward(input: tf.Tensor, hx?: State, options?: ForwardOptions): RNNOutput {
    this.lifecycle.checkParameters(this.parameters);
    if (this.loop === 'host') checkSyncReads("loop 'host'");
    const layout = checkInput(this.config, input);
    const initialStates = checkInitialStates(this.config, layout, hx);
    const lengths = checkLengths(layout, options?.lengths);
    const plan = this.plan(layout, { lengths: lengths !== undefined, taped: tf.engine().isTapeOn() });
    if (plan.wholeOnHost) return this.forwardThroughHost(input, layout, initialStates);
    return tf.tidy(() => {
      const { output, finalStates } = runLayers(
        this.config,
        this.engines,
        this.parameters,
        toTimeMajor(this.config, layout, input),
        batchedInitialStates(this.config, layout, initialStates),
        { training: this.training, lengths, plan, kernels: wasmKernels() },
      );
      const [hN, cN] = finalStates.map((state) => finalState(layout, state));
      return { output: fromTimeMajor(this.config, layout, output), hN, ...(cN && { cN }) };
    });
  }

  /**
   * The route a forward call of `seqLen` steps of `batchSize` sequences takes on the active
   * backend (`planForward`): its engine, and whether it runs wholly on host arrays.
   */
  plan({ seqLen, batchSize }: { seqLen: number; batchSize: number }, { lengths = false, taped = false } = {}): ForwardPlan {
    return planForward(this.config, { loop: this.loop, training: this.training, seqLen, batchSize, lengths, taped });
  }

  /** `forward` when its plan runs wholly on host arrays. */
  private forwardThroughHost(input: tf.Tensor, layout: SequenceLayout, initialStates?: tf.Tensor[]): RNNOutput {
    const states = initialStates?.map((state) => readSync(state, 'a forward on host arrays') as Float32Array);
    let finalStates: Float32Array[] = [];
    const output = hostCallInLayout(this.config, layout, input, (timeMajor) => {
      const result = this.host.runInPlace(timeMajor, layout.seqLen, layout.batchSize, states);
      finalStates = result.states;
      return result.output;
    });
    this.host.trim();
    const shapes = stateShapes(this.config, layout);
    // Plain indexing, not map: map's result array takes other maps between calls of the cells (a "wrong map" deopt).
    const hN = tf.tensor(finalStates[0], shapes[0]);
    return finalStates.length > 1 ? { output, hN, cN: tf.tensor(finalStates[1], shapes[1]) } : { output, hN };
  }

  /**
   * The forward pass on host arrays, with no tensor made: for small calls of a unidirectional
   * model, where dispatching tf ops costs more than the arithmetic (one streamed step at batch
   * 1). The host engine's products and steps, so the bits of any call the plan gives the host
   * engine; weights are read
   * off the backend once and again only after a parameter changed. No dropout (eval mode, or
   * `dropout: 0`), no lengths.
   * @param input `[L, N, H_in]`, time-major, flat.
   * @param states one `[numLayers, N, F]` per carried state (h `H_out`, and c `H` for an
   *   LSTM), flat; zeros when absent.
   * @returns output `[L, N, H_out]` and the final states, flat and in the same layouts.
   */
  forwardOnHost(input: Float32Array, seqLen: number, batchSize: number, states?: Float32Array[]): { output: Float32Array; states: Float32Array[] } {
    this.lifecycle.checkParameters(this.parameters);
    checkSyncReads('forwardOnHost');
    checkHostCall(this.config, this.engines.cell, this.training, { seqLen, batchSize, states });
    expectFloats('input', input, seqLen * batchSize * this.config.inputSize);
    return this.host.run(input, seqLen, batchSize, states);
  }

  /**
   * `forwardOnHost` for a stream (`StreamingRNN`): from `stream`'s states, which stay in the
   * host kernels' memory afterwards, so a stream's next call copies no state in or out.
   * @internal
   * @param input `[L, N, H_in]`, time-major, flat, N = `stream.batchSize`; or its reader
   *   (`HostInput`), when it is a view of a tensor's memory.
   * @returns output `[L, N, H_out]`, flat: a view of the kernels' memory, valid until the next call.
   */
  streamOnHost(stream: HostStreamStates, input: HostInput, seqLen: number): Float32Array {
    this.lifecycle.checkParameters(this.parameters);
    checkSyncReads('forwardOnHost');
    checkHostCall(this.config, this.engines.cell, this.training, { seqLen, batchSize: stream.batchSize });
    if (typeof input !== 'function') expectFloats('input', input, seqLen * stream.batchSize * this.config.inputSize);
    return this.host.runStream(stream, input, seqLen);
  }

  /**
   * A stream's states after its last `streamOnHost`, copied: one `[numLayers, N, F]` per
   * carried state; undefined for zeros. @internal
   */
  streamStatesOnHost(stream: HostStreamStates): Float32Array[] | undefined {
    return this.host.streamStates(stream);
  }

  /** Frees the parameters; every other method throws afterwards, and `dispose()` again does nothing. */
  dispose(): void {
    this.lifecycle.end(() => {
      this.host.release();
      this.parameters.forEach((variable) => variable.dispose());
    });
  }
}

/** Checks a `forwardOnHost` call before any work. */
function checkHostCall(
  config: FullRNNConfig,
  cell: Cell,
  training: boolean,
  { seqLen, batchSize, states }: { seqLen: number; batchSize: number; states?: unknown },
): void {
  if (config.bidirectional) throw new ConfigError('config.bidirectional', 'false for forwardOnHost (one direction)', 'true');
  if (training && config.dropout > 0 && config.numLayers > 1) {
    throw new ConfigError('training', 'false for forwardOnHost with dropout between layers (call eval())', 'true');
  }
  // Module-level checks, no arrays or closures: a streamed step makes this call every time.
  expectPositiveInteger('seqLen', seqLen);
  expectPositiveInteger('batchSize', batchSize);
  if (states === undefined) return;
  const sizes = cell.stateSizes(config);
  if (!Array.isArray(states) || states.length !== sizes.length) {
    throw new ArgumentError('states', `${sizes.length} Float32Array${sizes.length > 1 ? 's (h, c)' : ' (h)'}`, Array.isArray(states) ? `${states.length}` : describeValue(states));
  }
  states.forEach((state, i) => expectFloats(`states[${i}]`, state, config.numLayers * batchSize * sizes[i]));
}

function expectPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ArgumentError(name, 'a positive integer', describeValue(value));
}

function expectFloats(name: string, value: unknown, size: number): void {
  if (!(value instanceof Float32Array) || value.length !== size) {
    const actual = value instanceof Float32Array ? `${value.length} values` : describeValue(value);
    throw new ShapeError(name, `a Float32Array of ${size} values`, actual);
  }
}

/** PyTorch's `nn.RNN`: `h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` (`cells/rnn.ts`). */
export class ManualRNN extends ManualModel<tf.Tensor> {
  constructor(config: RNNConfig, options?: ManualOptions) {
    super(withMode(config, 'RNN', 'ManualRNN'), options);
  }
}

/** PyTorch's `nn.LSTM`, with `projSize` (`cells/lstm.ts`); `forward(input, [h0, c0])` returns `cN` too. */
export class ManualLSTM extends ManualModel<[tf.Tensor, tf.Tensor]> {
  constructor(config: LSTMConfig, options?: ManualOptions) {
    super(withMode(config, 'LSTM', 'ManualLSTM'), options);
  }
}

/** PyTorch's `nn.GRU` (`cells/gru.ts`). */
export class ManualGRU extends ManualModel<tf.Tensor> {
  constructor(config: GRUConfig, options?: ManualOptions) {
    super(withMode(config, 'GRU', 'ManualGRU'), options);
  }
}

/** The hand-written model of a configuration of any mode. */
export function createManualModel(config: RNNConfig, options?: ManualOptions): ManualModel {
  return new ManualModel(config, options);
}
