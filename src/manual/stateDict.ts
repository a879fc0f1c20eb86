import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, checkParameterShapes } from '../config';
import { ArgumentError, describeValue } from '../errors';
import { isPlainObject } from '../formats/isPlainObject';
import { checkTensor } from '../shapes';

/**
 * Copies a PyTorch-style `state_dict` into `parameters` after checking all of it: every
 * entry a live float32 `tf.Tensor` (an error naming the first key that is not), then every
 * key and shape `config` needs (`checkParameterShapes`). Nothing is assigned unless all pass.
 */
export function assignStateDict(parameters: Map<string, tf.Variable>, stateDict: unknown, config: FullRNNConfig): void {
  if (!isPlainObject(stateDict)) {
    throw new ArgumentError('stateDict', 'an object of tf.Tensors keyed by parameter name', describeValue(stateDict));
  }
  const tensors = Object.fromEntries(Object.entries(stateDict).map(([name, value]) => [name, checkTensor(name, value)]));
  checkParameterShapes(tensors, config);
  // Copies: the entries may be these very variables (`loadStateDict(stateDict())`).
  parameters.forEach((variable, name) => tf.tidy(() => variable.assign(tf.clone(tensors[name]))));
}
