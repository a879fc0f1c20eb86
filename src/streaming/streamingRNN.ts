import * as tf from '@tensorflow/tfjs-core';
import { checkSyncReads } from '../backend/capabilities';
import { outputSize } from '../config';
import { ArgumentError, ConfigError, ShapeError, describeValue, formatShape } from '../errors';
import { ForwardPlan } from '../manual';
import { HostInput, HostStreamStates, hostCallInLayout } from '../manual/engines/host';
import { InitialState, Lifecycle, RecurrentModel, SequenceLayout, checkInput, stateShapes } from '../shapes';

/** What `checkSyncReads` names: the stream keeps its states on the host. */
const STATES_ON_HOST = 'StreamingRNN (its states are kept on the host)';

/** A model whose forward pass can also run on host arrays: the hand-written ones. */
interface HostModel extends RecurrentModel {
  plan(call: { seqLen: number; batchSize: number }, options?: { lengths?: boolean; taped?: boolean }): ForwardPlan;
  streamOnHost(stream: HostStreamStates, input: HostInput, seqLen: number): Float32Array;
  streamStatesOnHost(stream: HostStreamStates): Float32Array[] | undefined;
}

function hasHostForward(model: RecurrentModel): model is HostModel {
  const host = model as Partial<HostModel>;
  return typeof host.streamOnHost === 'function' && typeof host.streamStatesOnHost === 'function' && typeof host.plan === 'function';
}

/**
 * The states after the last chunk: one `[numLayers, N, F]` per carried state, on the host
 * (`values`), or in the model's host kernels (`onHost`) after a chunk that ran there.
 */
interface HostStates {
  layout: SequenceLayout;
  values?: Float32Array[];
  onHost?: HostStreamStates;
}

/**
 * Runs a unidirectional model over a long sequence one chunk (or one step) at a time: each
 * chunk starts from the state the previous one ended in, so the concatenated outputs equal
 * one forward pass over the whole sequence. Works with every hand-written model and twin (an
 * LSTM carries (h, c) from chunk to chunk); the model stays the caller's (not disposed here).
 *
 *     const stream = new StreamingRNN(model);
 *     const y1 = stream.push(x1);   // x1: [N, L1, H_in] (batchFirst), [L1, N, H_in] or [L1, H_in]
 *     const y2 = stream.push(x2);   // continues from stream.state
 *     const y = stream.step(x);     // one step, Float32Array [N, H_in] → [N, H_out], no tensors
 *
 * The states are kept on the host, where a small step needs them: a hand-written model's
 * chunks whose plan runs wholly on host arrays (steps and short chunks, and any chunk of a
 * small model: `planForward`) run through `forwardOnHost` (a few µs at batch 1 where tf ops
 * cost hundreds), other chunks through `forward`; both give the same bits. Keeping the
 * states there reads each chunk's final states back (`dataSync`): a GPU sync per chunk on
 * webgl, and a `BackendError` before any work on a backend whose tensors cannot be read
 * synchronously (webgpu, `backendCapabilities`).
 */
export class StreamingRNN {
  private states: HostStates | undefined;
  /** `states` as tensors, made when `state` is read; owned by the stream. */
  private stateTensors: tf.Tensor[] | undefined;
  private readonly lifecycle = new Lifecycle('stream', 'StreamingRNN');

  /** A reverse direction needs the whole sequence, so bidirectional models are rejected. */
  constructor(readonly model: RecurrentModel) {
    if (typeof model !== 'object' || model === null || typeof model.forward !== 'function' || !model.config) {
      throw new ArgumentError('model', 'a hand-written model or twin (a RecurrentModel)', describeValue(model));
    }
    if (model.config.bidirectional) {
      throw new ConfigError(
        'model.config.bidirectional',
        'false for chunked streaming (a reverse direction reads the sequence from its end)',
        'true',
      );
    }
  }

  /**
   * The state after the last chunk as `forward` takes it: h `[numLayers, N, H_out]`
   * (`[numLayers, H_out]` unbatched), or `[h, c]` for an LSTM; undefined before the first
   * chunk (zeros then). Owned by the stream: read, don't dispose.
   */
  get state(): InitialState | undefined {
    if (this.states === undefined) return undefined;
    if (this.stateTensors === undefined) {
      const shapes = stateShapes(this.model.config, this.states.layout);
      const values = this.stateValues() ?? shapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
      this.stateTensors = values.map((state, i) => tf.keep(tf.tensor(state, shapes[i])));
    }
    return asInitialState(this.stateTensors);
  }

  /**
   * Runs the next chunk, in the model's layout, from the current state.
   * @returns the chunk's output, as `model.forward` shapes it; owned by the caller.
   */
  push(chunk: tf.Tensor): tf.Tensor {
    this.lifecycle.check();
    checkSyncReads(STATES_ON_HOST);
    const { config } = this.model;
    const layout = checkInput(config, chunk);
    this.checkContinues(layout, chunk);
    if (!this.runsOnHost(layout, tf.engine().isTapeOn())) {
      const { output, hN, cN } = this.model.forward(chunk, this.state);
      this.keepStates(layout, [hN, ...(cN ? [cN] : [])].map((state) => readAndDispose(state)));
      return output;
    }
    return hostCallInLayout(config, layout, chunk, (timeMajor) => this.runOnHost(layout, timeMajor));
  }

  /**
   * Runs one step from the current state, without tensors: the live case (a frame, a sample
   * at a time).
   * @param input `[N, H_in]`, flat: this step of every sequence of the stream's batch.
   * @param output `[N, H_out]`, flat, to write the step's output into (a live loop that passes
   *   the same array every step makes no new array per step); a new array when absent.
   * @returns `[N, H_out]`, flat: the last layer's output for this step (`output` when given).
   */
  step(input: Float32Array, output?: Float32Array): Float32Array {
    this.lifecycle.check();
    checkSyncReads(STATES_ON_HOST);
    const { config } = this.model;
    if (!(input instanceof Float32Array) || input.length === 0 || input.length % config.inputSize !== 0) {
      const actual = input instanceof Float32Array ? `${input.length} values` : describeValue(input);
      throw new ShapeError('input', `a Float32Array [batch, ${config.inputSize}] of batch·${config.inputSize} values`, actual);
    }
    const batchSize = input.length / config.inputSize;
    const outputs = batchSize * outputSize(config);
    if (output !== undefined && (!(output instanceof Float32Array) || output.length !== outputs)) {
      const actual = output instanceof Float32Array ? `${output.length} values` : describeValue(output);
      throw new ShapeError('output', `a Float32Array [${batchSize}, ${outputs / batchSize}] of ${outputs} values, or nothing`, actual);
    }
    const layout: SequenceLayout = { batched: this.states?.layout.batched ?? true, batchSize, seqLen: 1 };
    this.checkContinues(layout, input);
    if (this.runsOnHost(layout, false)) return copyOut(this.runOnHost(layout, input), output);
    const shape = !layout.batched ? [1, config.inputSize] : config.batchFirst ? [batchSize, 1, config.inputSize] : [1, batchSize, config.inputSize];
    const result = tf.tidy(() => this.push(tf.tensor(input, shape)));
    try {
      return copyOut(result.dataSync() as Float32Array, output);
    } finally {
      result.dispose();
    }
  }

  /** Starts a new sequence: from a copy of `hx` (`h0`, or `[h0, c0]` for an LSTM) when given, else from zeros. */
  reset(hx?: InitialState): void {
    this.lifecycle.check();
    if (hx !== undefined) checkSyncReads(STATES_ON_HOST);
    if (hx === undefined) {
      this.keepStates(undefined);
      return;
    }
    const lstm = this.model.config.mode === 'LSTM';
    const states = lstm && Array.isArray(hx) ? hx : [hx];
    const expected = lstm ? 'a pair [h0, c0] of live tf.Tensors, or nothing' : 'a live tf.Tensor or nothing';
    if ((lstm && (!Array.isArray(hx) || hx.length !== 2)) || !states.every((state) => state instanceof tf.Tensor && !state.isDisposed)) {
      throw new ArgumentError('hx', expected, describeValue(hx));
    }
    const [h0] = states as tf.Tensor[];
    const batched = h0.rank === 3;
    const layout: SequenceLayout = { batched, batchSize: batched ? (h0.shape[1] as number) : 1, seqLen: 1 };
    const shapes = stateShapes(this.model.config, layout);
    (states as tf.Tensor[]).forEach((state, i) => {
      if (!tf.util.arraysEqual(state.shape, shapes[i])) {
        throw new ShapeError(i === 0 ? 'h0' : 'c0', `${formatShape(shapes[i])} [numLayers, batch, features]`, formatShape(state.shape));
      }
    });
    this.keepStates(layout, (states as tf.Tensor[]).map((state) => Float32Array.from(state.dataSync() as Float32Array)));
  }

  /** Frees the state; the model is left alone. */
  dispose(): void {
    this.lifecycle.end(() => this.keepStates(undefined));
  }

  /**
   * Whether a chunk of `layout` runs wholly on host arrays, by the model's plan: hand-written
   * models only, and not while a gradient is recorded (`taped`) through a chunk's output.
   */
  private runsOnHost(layout: SequenceLayout, taped: boolean): boolean {
    const { model } = this;
    // The layout and options in the shapes `forward` passes: one map at `plan`'s parameters.
    return hasHostForward(model) && model.plan(layout, { lengths: false, taped }).wholeOnHost;
  }

  /**
   * Throws unless a chunk of `layout` continues the stream's state (same batch, batched or
   * not). @param given the chunk, or a step's `[N, H_in]` values (its shape is worked out
   * only for the error).
   */
  private checkContinues(layout: SequenceLayout, given: tf.Tensor | Float32Array): void {
    const current = this.states?.layout;
    if (current !== undefined && (current.batched !== layout.batched || current.batchSize !== layout.batchSize)) {
      const stateShape = formatShape(stateShapes(this.model.config, current)[0]);
      const shape = given instanceof Float32Array ? `[${layout.batchSize}, ${this.model.config.inputSize}]` : formatShape(given.shape);
      throw new ShapeError('chunk', `a chunk that continues the stream's state ${stateShape} (same batch, batched or not)`, shape);
    }
  }

  /**
   * A chunk on the model's host kernels, from the stream's states, which stay there after it
   * (no copy in or out from one step to the next). @param input `[L, N, H_in]`, time-major,
   * flat, or its reader. @returns `[L, N, H_out]`: a view of the kernels' memory, valid until
   * the next call.
   */
  private runOnHost(layout: SequenceLayout, input: HostInput): Float32Array {
    const current = this.states;
    const onHost = current?.onHost ?? new HostStreamStates(layout.batchSize, current?.values);
    const output = (this.model as HostModel).streamOnHost(onHost, input, layout.seqLen);
    if (this.stateTensors) tf.dispose(this.stateTensors);
    this.stateTensors = undefined;
    // The same states object from step to step (its layout continues: checkContinues).
    if (current?.onHost !== onHost) this.states = { layout: { ...layout, seqLen: 1 }, onHost };
    return output;
  }

  /** The states after the last chunk, on the host (copied out of the model's host kernels when there); undefined for zeros. */
  private stateValues(): Float32Array[] | undefined {
    const { states } = this;
    if (states?.onHost) return (this.model as HostModel).streamStatesOnHost(states.onHost);
    return states?.values;
  }

  private keepStates(layout?: SequenceLayout, values?: Float32Array[]): void {
    if (this.stateTensors) tf.dispose(this.stateTensors);
    this.stateTensors = undefined;
    this.states = layout && values && { layout: { ...layout, seqLen: 1 }, values };
  }
}

/** `values` copied into `output` when given (and returned), else into a new array. */
function copyOut(values: Float32Array, output: Float32Array | undefined): Float32Array {
  if (output === undefined) return values.slice();
  output.set(values);
  return output;
}

/** A tensor's values, copied to the host; the tensor is disposed. */
function readAndDispose(tensor: tf.Tensor): Float32Array {
  const values = Float32Array.from(tensor.dataSync() as Float32Array);
  tensor.dispose();
  return values;
}

function asInitialState(states: tf.Tensor[]): InitialState {
  return states.length === 1 ? states[0] : [states[0], states[1]];
}

