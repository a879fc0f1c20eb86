import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../errors';
import { ForwardOptions, InitialState, RecurrentModel, checkInitialStates, checkInput, checkLengths } from '../shapes';

/** A model whose parameters an optimizer can update: every hand-written model and twin is. */
export interface TrainableModel extends RecurrentModel {
  /** Every trainable parameter, in a fixed order; owned by the model. */
  trainableVariables(): tf.Variable[];
}

/** What a forward call needs besides its input. */
export interface ForwardCallOptions extends ForwardOptions {
  /** `[D·numLayers, N, H_out]` (`[D·numLayers, H_out]` unbatched); zeros when absent. */
  h0?: tf.Tensor;
  /** LSTM only, given with `h0`: `[D·numLayers, N, H]` (`[D·numLayers, H]` unbatched). */
  c0?: tf.Tensor;
}

/** `h0` and `c0` as the model's `forward` takes them: `h0`, or `[h0, c0]` for an LSTM. */
export function initialStateOf(model: RecurrentModel, { h0, c0 }: ForwardCallOptions): InitialState | undefined {
  if (model.config.mode !== 'LSTM') {
    if (c0 !== undefined) throw new ArgumentError('c0', `nothing for ${model.config.mode} (only an LSTM has a cell state)`, 'a c0');
    return h0;
  }
  if ((h0 === undefined) !== (c0 === undefined)) {
    const [given, missing] = h0 === undefined ? ['c0', 'h0'] : ['h0', 'c0'];
    throw new ArgumentError(missing, `a tf.Tensor given with ${given} (nn.LSTM takes (h_0, c_0) together)`, 'nothing');
  }
  return h0 === undefined ? undefined : [h0, c0 as tf.Tensor];
}

/** Checks the model and everything a forward call will get, before any work. */
export function checkForwardCall(model: TrainableModel, input: tf.Tensor, options: ForwardCallOptions): void {
  if (typeof model !== 'object' || model === null || typeof model.trainableVariables !== 'function') {
    throw new ArgumentError('model', 'a hand-written model or twin (a RecurrentModel with trainableVariables())', describeValue(model));
  }
  const layout = checkInput(model.config, input);
  checkInitialStates(model.config, layout, initialStateOf(model, options));
  checkLengths(layout, options.lengths);
}
