import * as tf from '@tensorflow/tfjs-core';
import { hostProductOf, projectRowsInto, readValues, tensorFilledBy } from './engines/host';
import { transposedMatMul } from './transposedMatMul';

/**
 * `x_t W_ihᵀ + bias` for every step at once, as one fused matMul: `input` `[L, N, H_in]`,
 * `weightIh` `[H, H_in]`, `bias` `[H]` (absent without biases) → `[L, N, H]`. With `onHost`
 * (the host engine's), the values come from the host engine's product instead, as
 * `HostModelForward` computes them, so that a call gets the same bits through either route.
 *
 * The gradient is written out so that no matMul needs a transpose flag (wasm runs a flagged
 * matMul as a scalar loop instead of XNNPACK: 1.7 s of a 2.1 s training step at
 * (256, 50, 128, 256)): `dx = dy·W_ih`, `dW_ihᵀ = xᵀ·dy` by `transposedMatMul`,
 * `dbias = Σ_rows dy`.
 */
export function projectInputs(input: tf.Tensor3D, weightIh: tf.Tensor2D, bias: tf.Tensor1D | undefined, onHost: boolean): tf.Tensor3D {
  const [seqLen, batchSize, inputSize] = input.shape;
  const [hiddenSize] = weightIh.shape;
  const rows = seqLen * batchSize;
  const project = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, weight] = args as [tf.Tensor3D, tf.Tensor2D];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const flatInput = tf.reshape(x, [rows, inputSize]) as tf.Tensor2D;
    const projectionBias = bias && (args[2] as tf.Tensor1D);
    save([flatInput, weight]);
    const shape: [number, number, number] = [seqLen, batchSize, hiddenSize];
    return {
      value: onHost
        ? projectOnHost(flatInput, weight, projectionBias, shape)
        : tf.reshape(tf.fused.matMul({ a: flatInput, b: tf.transpose(weight), bias: projectionBias }), shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
        const flatDy = tf.reshape(dy, [rows, hiddenSize]) as tf.Tensor2D;
        const dInput = tf.reshape(tf.matMul(flatDy, savedWeight), [seqLen, batchSize, inputSize]);
        const grads = [dInput, tf.transpose(transposedMatMul(savedInput, flatDy))];
        return bias ? [...grads, tf.sum(flatDy, 0)] : grads;
      },
    };
  });
  return (bias ? project(input, weightIh, bias) : project(input, weightIh)) as tf.Tensor3D;
}

/**
 * `x W_ihᵀ + bias` on the host engine's product: `x` `[L·N, H_in]` → `[L, N, H]`, written
 * straight into the new tensor (x read as a view on wasm once that tensor exists).
 */
function projectOnHost(x: tf.Tensor2D, weightIh: tf.Tensor2D, bias: tf.Tensor1D | undefined, shape: [number, number, number]): tf.Tensor3D {
  const weightsT = tf.transpose(weightIh);
  const product = hostProductOf(weightsT, bias);
  weightsT.dispose();
  try {
    return tensorFilledBy(shape, (out) => projectRowsInto(product, readValues(x, 'the host engine'), x.shape[0], out)) as tf.Tensor3D;
  } finally {
    product.release();
  }
}
