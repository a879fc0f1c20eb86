import * as tf from '@tensorflow/tfjs-core';
import { checkSyncReads } from '../backend/capabilities';
import { HostArray } from './hostArray';

/** Host arrays (e.g. from `loadStateDict`) as float32 tensors, owned by the caller. */
export function toTensors(arrays: Record<string, HostArray>): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(arrays).map(([name, { shape, data }]) => [name, tf.tensor(data, shape, 'float32')]));
}

/** Tensors (e.g. `ManualRNN.stateDict()`) read into host arrays, ready for `saveStateDict`. */
export function toHostArrays(tensors: Record<string, tf.Tensor>): Record<string, HostArray> {
  checkSyncReads('toHostArrays');
  return Object.fromEntries(
    Object.entries(tensors).map(([name, tensor]) => [name, { shape: tensor.shape, data: Float32Array.from(tensor.dataSync()) }]),
  );
}
