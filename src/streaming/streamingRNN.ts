import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ConfigError, ShapeError, formatShape } from '../errors';
import { InitialState, Lifecycle, RecurrentModel, checkInput, stateShapes } from '../shapes';

/**
 * Runs a unidirectional model over a long sequence one chunk at a time: each chunk starts
 * from the state the previous one ended in, so the concatenated outputs equal one forward
 * pass over the whole sequence. Works with every hand-written model and twin (an LSTM
 * carries (h, c) from chunk to chunk); the model stays the caller's (not disposed here).
 *
 *     const stream = new StreamingRNN(model);
 *     const y1 = stream.push(x1);   // x1: [N, L1, H_in] (batchFirst), [L1, N, H_in] or [L1, H_in]
 *     const y2 = stream.push(x2);   // continues from stream.state
 */
export class StreamingRNN {
  /** h (and c for an LSTM) after the last chunk; undefined before the first. */
  private states: tf.Tensor[] | undefined;
  private readonly lifecycle = new Lifecycle('stream', 'StreamingRNN');

  /** A reverse direction needs the whole sequence, so bidirectional models are rejected. */
  constructor(readonly model: RecurrentModel) {
    if (typeof model !== 'object' || model === null || typeof model.forward !== 'function' || !model.config) {
      throw new ArgumentError('model', 'a hand-written model or twin (a RecurrentModel)', model === null ? 'null' : typeof model);
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
    return this.states && asInitialState(this.states);
  }

  /**
   * Runs the next chunk, in the model's layout, from the current state.
   * @returns the chunk's output, as `model.forward` shapes it; owned by the caller.
   */
  push(chunk: tf.Tensor): tf.Tensor {
    this.lifecycle.check();
    const layout = checkInput(this.model.config, chunk);
    const expected = stateShapes(this.model.config, layout);
    if (this.states !== undefined && this.states.some((state, i) => !tf.util.arraysEqual(state.shape, expected[i]))) {
      throw new ShapeError(
        'chunk',
        `a chunk that continues the stream's state ${formatShape(this.states[0].shape)} (same batch, batched or not)`,
        formatShape(chunk.shape),
      );
    }
    const { output, hN, cN } = this.model.forward(chunk, this.state);
    this.replaceStates([hN, ...(cN ? [cN] : [])]);
    return output;
  }

  /** Starts a new sequence: from a copy of `hx` (`h0`, or `[h0, c0]` for an LSTM) when given, else from zeros. */
  reset(hx?: InitialState): void {
    this.lifecycle.check();
    if (hx === undefined) {
      this.replaceStates(undefined);
      return;
    }
    const lstm = this.model.config.mode === 'LSTM';
    const states = lstm && Array.isArray(hx) ? hx : [hx];
    const expected = lstm ? 'a pair [h0, c0] of live tf.Tensors, or nothing' : 'a live tf.Tensor or nothing';
    if ((lstm && (!Array.isArray(hx) || hx.length !== 2)) || !states.every((state) => state instanceof tf.Tensor && !state.isDisposed)) {
      throw new ArgumentError('hx', expected, describe(hx));
    }
    this.replaceStates(states.map((state) => tf.clone(state as tf.Tensor)));
  }

  /** Frees the state; the model is left alone. */
  dispose(): void {
    this.lifecycle.end(() => this.replaceStates(undefined));
  }

  private replaceStates(states: tf.Tensor[] | undefined): void {
    if (this.states) tf.dispose(this.states);
    this.states = states?.map((state) => tf.keep(state));
  }
}

function asInitialState(states: tf.Tensor[]): InitialState {
  return states.length === 1 ? states[0] : [states[0], states[1]];
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof tf.Tensor) return value.isDisposed ? 'a disposed tensor' : `a tf.Tensor ${formatShape(value.shape)}`;
  return value === null ? 'null' : typeof value;
}
