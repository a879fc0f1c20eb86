import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../errors';
import { RNNOutput } from '../shapes';
import { valueAndGradients } from './gradients';
import { ForwardCallOptions, TrainableModel, checkForwardCall, initialStateOf } from './model';

/** A loss of a forward pass against a target, e.g. `(p, y) => tf.losses.meanSquaredError(y, p.output)`. */
export type SequenceLoss = (prediction: RNNOutput, target: tf.Tensor) => tf.Scalar;

/** Options of `trainStep`: the forward call's `h0`, `c0` and `lengths`, and more variables to train. */
export interface TrainStepOptions extends ForwardCallOptions {
  /** Variables the loss uses besides the model's (a readout layer, say), updated with them. */
  extraVariables?: tf.Variable[];
}

/**
 * One optimisation step: runs `model.forward(input, hx, { lengths })` in its current mode
 * (dropout between layers applies in training mode), computes `lossFn(prediction, target)`,
 * backpropagates it to the model's trainable variables (and `extraVariables`) and lets
 * `optimizer` update them. A variable the loss does not reach is left alone.
 * @returns the loss before the update.
 */
export function trainStep(
  model: TrainableModel,
  optimizer: tf.Optimizer,
  lossFn: SequenceLoss,
  input: tf.Tensor,
  target: tf.Tensor,
  options: TrainStepOptions = {},
): number {
  checkForwardCall(model, input, options);
  if (!(optimizer instanceof tf.Optimizer)) {
    throw new ArgumentError('optimizer', 'a tf.Optimizer (e.g. tf.train.adam(0.01))', describeValue(optimizer));
  }
  if (typeof lossFn !== 'function') throw new ArgumentError('lossFn', 'a function', describeValue(lossFn));
  if (!(target instanceof tf.Tensor) || target.isDisposed) {
    throw new ArgumentError('target', 'a live tf.Tensor', describeValue(target));
  }
  const { lengths, extraVariables = [] } = options;
  const hx = initialStateOf(model, options);
  if (!Array.isArray(extraVariables) || !extraVariables.every((variable) => variable instanceof tf.Variable)) {
    throw new ArgumentError('extraVariables', 'an array of tf.Variable', describeValue(extraVariables));
  }
  const variables = [...model.trainableVariables(), ...extraVariables];
  const { value, grads } = valueAndGradients(() => lossFn(model.forward(input, hx, { lengths }), target), variables, 'lossFn');
  const named = variables.flatMap((variable, index) => {
    const tensor = grads[index];
    return tensor === undefined ? [] : [{ name: variable.name, tensor }];
  });
  optimizer.applyGradients(named);
  tf.dispose(named.map(({ tensor }) => tensor));
  return value;
}
