import * as tf from '@tensorflow/tfjs-core';
// Registers the gradient of every tfjs op (tfjs-core's own registration, `dist/register_all_gradients`,
// is an ES module Node's require cannot load; tfjs-layers runs it in both its builds).
import '@tensorflow/tfjs-layers';
import { checkSyncReads } from '../backend/capabilities';
import { ArgumentError, ShapeError, describeValue, formatShape } from '../errors';
import { LayersModel, groupKerasWeights } from '../layers/model';
import { ManualModel } from '../manual/model';
import { kerasToTorch } from '../mapping/mapping';
import { RNNOutput } from '../shapes';
import { ForwardCallOptions, TrainableModel, checkForwardCall, initialStateOf } from './model';

/** A scalar computed from a forward pass: a loss, or any objective to differentiate. */
export type Objective = (prediction: RNNOutput) => tf.Scalar;

/** Gradients of an objective; every tensor is owned by the caller. */
export interface LossGradients {
  /** The objective's value. */
  loss: number;
  /**
   * d loss / d variable, in the order of `model.trainableVariables()`, each shaped as its
   * variable; `gradientsByName(model, variables)` keys them by PyTorch's parameter names.
   */
  variables: tf.Tensor[];
  /** d loss / d input, shaped as the input (zero at padded steps). */
  input: tf.Tensor;
  /** d loss / d h0, when `h0` was given. */
  h0?: tf.Tensor;
  /** d loss / d c0, when `c0` was given (LSTM). */
  c0?: tf.Tensor;
}

/**
 * `loss()` and its gradient w.r.t. each source; undefined for a source the loss does not
 * depend on. Every tensor but the gradients is disposed. A loss that is not a scalar tensor
 * throws an error naming `argument`, the function the loss came from; an error thrown inside
 * `loss()` is rethrown as it is, once the engine has freed what the forward pass saved.
 */
export function valueAndGradients(
  loss: () => tf.Tensor,
  sources: tf.Tensor[],
  argument: string,
): { value: number; grads: Array<tf.Tensor | undefined> } {
  checkSyncReads("the objective's value");
  const expected = 'a function returning a scalar tf.Tensor';
  let failure: { error: unknown } | undefined;
  const { value, grads } = tf.engine().gradients(
    () => {
      try {
        const result = loss();
        if (result instanceof tf.Tensor) return result;
        failure = { error: new ArgumentError(argument, expected, `one returning ${describeValue(result)}`) };
      } catch (error) {
        failure = { error };
      }
      return tf.scalar(0); // Lets the engine finish and free its tape before the error is thrown.
    },
    sources,
    undefined,
    true,
  );
  if (failure !== undefined || value.rank !== 0) {
    const shape = value.shape;
    tf.dispose([value, ...grads.filter((grad): grad is tf.Tensor => grad != null)]);
    if (failure !== undefined) throw failure.error;
    throw new ShapeError(argument, expected, `one returning ${formatShape(shape)}`);
  }
  const number = value.dataSync()[0];
  value.dispose();
  return { value: number, grads: grads.map((grad) => grad ?? undefined) };
}

/**
 * Backpropagation of `objective(model.forward(input, hx, { lengths }))` (`hx`: `h0`, or
 * `[h0, c0]` for an LSTM): its value and its gradient w.r.t. every trainable variable, the
 * input, `h0` and `c0` (zeros for any it does not reach).
 */
export function lossGradients(
  model: TrainableModel,
  objective: Objective,
  input: tf.Tensor,
  options: ForwardCallOptions = {},
): LossGradients {
  checkForwardCall(model, input, options);
  if (typeof objective !== 'function') throw new ArgumentError('objective', 'a function', describeValue(objective));
  const { h0, c0, lengths } = options;
  const hx = initialStateOf(model, options);
  const variables = model.trainableVariables();
  const states = [h0, c0].filter((state): state is tf.Tensor => state !== undefined);
  const sources = [input, ...states, ...variables];
  const { value, grads } = valueAndGradients(() => objective(model.forward(input, hx, { lengths })), sources, 'objective');
  const [inputGrad, ...rest] = grads.map((grad, index) => grad ?? tf.zerosLike(sources[index]));
  const stateGrads = rest.splice(0, states.length);
  return {
    loss: value,
    input: inputGrad,
    h0: h0 === undefined ? undefined : stateGrads[0],
    c0: c0 === undefined ? undefined : stateGrads[1],
    variables: rest,
  };
}

/**
 * Gradients of `model.trainableVariables()` (in that order, as `LossGradients.variables`)
 * keyed by PyTorch's parameter names and shaped as PyTorch's parameters: `weight_ih_l0`
 * `[G·H, H_in]`, `weight_hh_l0`, `bias_ih_l0`, … A hand-written model's are its own; a twin's
 * Keras gradients are mapped as `kerasToTorch` maps weights, but `bias_ih` and `bias_hh` both
 * get the gradient of the one Keras bias they sum to (∂L/∂b_hh = ∂L/∂b_ih, not zero).
 * Returns new tensors, owned by the caller (a hand-written model's share the data of `grads`).
 */
export function gradientsByName(model: ManualModel | LayersModel, grads: tf.Tensor[]): Record<string, tf.Tensor> {
  if (!(model instanceof ManualModel) && !(model instanceof LayersModel)) {
    throw new ArgumentError('model', 'a hand-written model or twin (ManualModel or LayersModel)', describeValue(model));
  }
  const variables = model.trainableVariables();
  if (!Array.isArray(grads) || grads.length !== variables.length) {
    throw new ArgumentError('grads', `${variables.length} gradients, one per trainableVariables() entry`, describeValue(grads));
  }
  grads.forEach((grad, index) => {
    if (!(grad instanceof tf.Tensor) || grad.isDisposed || !tf.util.arraysEqual(grad.shape, variables[index].shape)) {
      throw new ShapeError(`grads[${index}]`, `a live tf.Tensor ${formatShape(variables[index].shape)} (the gradient of ${variables[index].name})`, describeValue(grad));
    }
  });
  if (model instanceof ManualModel) {
    return Object.fromEntries([...model.namedParameters().keys()].map((name, index) => [name, tf.clone(grads[index])]));
  }
  const { config } = model;
  let next = 0;
  const layerGrads = model.layers.map((layer) => grads.slice(next, (next += layer.trainableWeights.length)));
  const torch = kerasToTorch(groupKerasWeights(layerGrads, config), config);
  if (config.mode !== 'GRU') {
    // The twin's one bias is b_ih + b_hh: ∂L/∂b_hh is ∂L/∂b_ih (kerasToTorch gives a weight zero there).
    for (const name of Object.keys(torch).filter((key) => key.startsWith('bias_hh'))) {
      torch[name].dispose();
      torch[name] = tf.clone(torch[name.replace('bias_hh', 'bias_ih')]);
    }
  }
  return torch;
}
