import * as tf from '@tensorflow/tfjs';
import { HostArray } from '../../formats/hostArray';
import { Flow, ForwardContext } from '../flow';
import { LayerForward, tensorOf } from './layerType';

/**
 * The twin of a layer type made of one Keras layer: built for `inputShape`, its weights set
 * to `weights` (already in Keras's layout), and `forward` calling it. Disposing frees its weights.
 */
export function builtTwin(
  layer: tf.layers.Layer,
  inputShape: (number | null)[],
  weights: (HostArray | tf.Tensor)[],
  forward: (flow: Flow, context: ForwardContext) => Flow,
): LayerForward {
  layer.build(inputShape);
  layer.built = true; // `build` alone leaves it unset, and `apply` would build again.
  const tensors = weights.map((weight) => (weight instanceof tf.Tensor ? weight : tensorOf(weight)));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
  return { forward, dispose: () => layer.weights.forEach((weight) => weight.dispose()) };
}
