import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors';
import { ForwardOptions, RecurrentModel, checkInitialState, checkInput, checkLengths } from '../shapes';

/** A model whose parameters an optimizer can update: `ManualRNN` and `LayersRNN` both are. */
export interface TrainableModel extends RecurrentModel {
  /** Every trainable parameter, in a fixed order; owned by the model. */
  trainableVariables(): tf.Variable[];
}

/** What a forward call needs besides its input. */
export interface ForwardCallOptions extends ForwardOptions {
  /** `[D·numLayers, N, H]` (`[D·numLayers, H]` unbatched); zeros when absent. */
  h0?: tf.Tensor;
}

/** Checks the model and everything a forward call will get, before any work. */
export function checkForwardCall(model: TrainableModel, input: tf.Tensor, options: ForwardCallOptions): void {
  if (typeof model !== 'object' || model === null || typeof model.trainableVariables !== 'function') {
    const actual = model === null ? 'null' : typeof model;
    throw new ArgumentError('model', 'a ManualRNN or LayersRNN (a RecurrentModel with trainableVariables())', actual);
  }
  const layout = checkInput(model.config, input);
  checkInitialState(model.config, layout, options.h0);
  checkLengths(layout, options.lengths);
}
