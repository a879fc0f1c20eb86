import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The small Keras layers a whole model's tf.layers twin needs besides tfjs's own, registered so
 * that `tf.loadLayersModel` builds them from a saved model (importing the package registers them).
 */

/** `[a, b, …]` → `[b, a, …]`: a time-major input (or per-step output) to and from Keras's batch-major layout. */
export class SwapBatchAxes extends tfl.layers.Layer {
  static className = 'SwapBatchAxes';

  constructor(args: { name?: string } = {}) {
    super(args);
    this.supportsMasking = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [first, second, ...rest] = inputShape as tfl.Shape;
    return [second, first, ...rest];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.transpose(x, [1, 0, ...Array.from({ length: x.rank - 2 }, (_, axis) => axis + 2)]));
  }
}
tf.serialization.registerClass(SwapBatchAxes);

/**
 * `[sequence [N, L, F], lengths [N]]` → the sequence, masked: Keras's mask `[N, L]` (true at
 * each sequence's first `lengths[n]` steps), which the recurrent layers and selections after it use.
 */
export class LengthsMask extends tfl.layers.Layer {
  static className = 'LengthsMask';

  constructor(args: { name?: string } = {}) {
    super(args);
    this.supportsMasking = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape[])[0];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.clone((inputs as tf.Tensor[])[0]));
  }

  computeMask(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [sequence, lengths] = inputs as tf.Tensor[];
    return tf.tidy(() => tf.less(tf.expandDims(tf.range(0, sequence.shape[1] as number, 1, 'float32'), 0), tf.reshape(tf.cast(lengths, 'float32'), [-1, 1])));
  }
}
tf.serialization.registerClass(LengthsMask);

/** Zeroes the steps the mask marks padded, as `pad_packed_sequence` leaves them; passes the mask on. */
export class ZeroPaddedSteps extends tfl.layers.Layer {
  static className = 'ZeroPaddedSteps';

  constructor(args: { name?: string } = {}) {
    super(args);
    this.supportsMasking = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => (kwargs.mask ? tf.mul(x, tf.expandDims(tf.cast(kwargs.mask, 'float32'), 2)) : tf.clone(x)));
  }
}
tf.serialization.registerClass(ZeroPaddedSteps);

/** The final hidden states of the last recurrent layer's directions, concatenated: `[N, D·H_out]`; no mask. */
export class LastLayerHidden extends tfl.layers.Layer {
  static className = 'LastLayerHidden';

  constructor(args: { name?: string } = {}) {
    super(args);
    this.supportsMasking = true;
  }

  computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tfl.Shape[];
    return [shapes[0][0], shapes.reduce((total, shape) => total + (shape[1] as number), 0)];
  }

  computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // One vector per sequence: no steps left to mask.
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const states = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => (states.length === 1 ? tf.clone(states[0]) : tf.concat(states, 1)));
  }
}
tf.serialization.registerClass(LastLayerHidden);
