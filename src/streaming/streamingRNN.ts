import * as tf from '@tensorflow/tfjs';
import { ArgumentError, ConfigError, ShapeError, formatShape } from '../errors';
import { Lifecycle, RecurrentModel, checkInput, stateShape } from '../shapes';

/**
 * Runs a unidirectional model over a long sequence one chunk at a time: each chunk starts
 * from the state the previous one ended in, so the concatenated outputs equal one forward
 * pass over the whole sequence. Works with `ManualRNN` and `LayersRNN`; the model stays
 * the caller's (not disposed here).
 *
 *     const stream = new StreamingRNN(model);
 *     const y1 = stream.push(x1);   // x1: [N, L1, H_in] (batchFirst), [L1, N, H_in] or [L1, H_in]
 *     const y2 = stream.push(x2);   // continues from stream.state
 */
export class StreamingRNN {
  private hidden: tf.Tensor | undefined;
  private readonly lifecycle = new Lifecycle('stream', 'StreamingRNN');

  /** A reverse direction needs the whole sequence, so bidirectional models are rejected. */
  constructor(readonly model: RecurrentModel) {
    if (typeof model !== 'object' || model === null || typeof model.forward !== 'function' || !model.config) {
      throw new ArgumentError('model', 'a ManualRNN or LayersRNN', model === null ? 'null' : typeof model);
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
   * The state after the last chunk, `[numLayers, N, H]` (`[numLayers, H]` unbatched), or
   * undefined before the first chunk (zeros then). Owned by the stream: read, don't dispose.
   */
  get state(): tf.Tensor | undefined {
    return this.hidden;
  }

  /**
   * Runs the next chunk, in the model's layout, from the current state.
   * @returns the chunk's output, as `model.forward` shapes it; owned by the caller.
   */
  push(chunk: tf.Tensor): tf.Tensor {
    this.lifecycle.check();
    const layout = checkInput(this.model.config, chunk);
    const expected = stateShape(this.model.config, layout);
    if (this.hidden !== undefined && !tf.util.arraysEqual(this.hidden.shape, expected)) {
      throw new ShapeError(
        'chunk',
        `a chunk that continues the stream's state ${formatShape(this.hidden.shape)} (same batch, batched or not)`,
        formatShape(chunk.shape),
      );
    }
    const { output, hN } = this.model.forward(chunk, this.hidden);
    this.hidden?.dispose();
    this.hidden = tf.keep(hN);
    return output;
  }

  /** Starts a new sequence: from a copy of `h0` when given, else from zeros. */
  reset(h0?: tf.Tensor): void {
    this.lifecycle.check();
    if (h0 !== undefined && (!(h0 instanceof tf.Tensor) || h0.isDisposed)) {
      throw new ArgumentError('h0', 'a live tf.Tensor or nothing', h0 instanceof tf.Tensor ? 'a disposed tensor' : typeof h0);
    }
    this.hidden?.dispose();
    this.hidden = h0 === undefined ? undefined : tf.keep(tf.clone(h0));
  }

  /** Frees the state; the model is left alone. */
  dispose(): void {
    this.lifecycle.end(() => {
      this.hidden?.dispose();
      this.hidden = undefined;
    });
  }
}
