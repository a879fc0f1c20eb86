import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's dropout between stacked layers: in training mode, every output but the
 * last layer's is zeroed with probability `rate` and the rest scaled by 1/(1 − rate).
 */
export function dropoutBetweenLayers<T extends tf.Tensor>(
  x: T,
  rate: number,
  training: boolean,
  isLastLayer: boolean,
): T {
  if (!training || rate === 0 || isLastLayer) return x;
  return rate >= 1 ? tf.zerosLike(x) : (tf.dropout(x, rate) as T);
}
