import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, checkParameterShapes } from '../config';
import { ArgumentError, describeValue } from '../errors';
import { HostArray, hostArray } from '../formats/hostArray';
import { isPlainObject } from '../formats/isPlainObject';
import { checkTensor } from '../shapes';

/** A `state_dict` as a model's `loadStateDict` takes it: tf.Tensors, or host arrays as the top-level `loadStateDict` returns them. */
export type StateDictInput = Record<string, tf.Tensor | HostArray>;

/** Whether `value` is a `HostArray`: `{shape, data}` with `data` a Float32Array. */
function isHostArray(value: unknown): value is HostArray {
  return isPlainObject(value) && Array.isArray(value.shape) && value.data instanceof Float32Array;
}

/**
 * Runs `use` on `stateDict` as tf.Tensors, after checking all of it: every entry a live
 * float32 tf.Tensor or a `HostArray` whose data fills its shape (an error naming the first key
 * that is neither), then every key and shape `config` needs (`checkParameterShapes`). The
 * tensors made from host arrays are freed after `use`.
 */
export function withStateDictTensors<T>(stateDict: unknown, config: FullRNNConfig, use: (tensors: Record<string, tf.Tensor>) => T): T {
  if (!isPlainObject(stateDict)) {
    throw new ArgumentError('stateDict', 'an object of tf.Tensors (or host arrays) keyed by parameter name', describeValue(stateDict));
  }
  const entries = Object.entries(stateDict);
  entries.forEach(([name, value]) => (isHostArray(value) ? hostArray(value.shape, value.data, name) : checkTensor(name, value)));
  checkParameterShapes(Object.fromEntries(entries) as Record<string, { shape: number[] }>, config);
  const made: tf.Tensor[] = [];
  const tensors = Object.fromEntries(
    entries.map(([name, value]) => {
      if (!isHostArray(value)) return [name, value as tf.Tensor];
      const tensor = tf.tensor(value.data, value.shape, 'float32');
      made.push(tensor);
      return [name, tensor];
    }),
  );
  try {
    return use(tensors);
  } finally {
    tf.dispose(made);
  }
}

/**
 * Copies a PyTorch-style `state_dict` into `parameters` after checking all of it (see
 * `withStateDictTensors`). Nothing is assigned unless all pass.
 */
export function assignStateDict(parameters: Map<string, tf.Variable>, stateDict: unknown, config: FullRNNConfig): void {
  withStateDictTensors(stateDict, config, (tensors) =>
    // Copies: the entries may be these very variables (`loadStateDict(stateDict())`).
    parameters.forEach((variable, name) => tf.tidy(() => variable.assign(tf.clone(tensors[name])))),
  );
}
