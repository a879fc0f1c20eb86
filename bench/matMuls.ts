import * as tf from '@tensorflow/tfjs';
import { GATE_COUNTS, Mode } from '../src/config';
import { idOf, matMulBy, wasmKernels } from '../src/manual/engines/wasm/stepLoop';
import { BenchShape } from './shapes';

/**
 * The matrix products of one hand-written forward call, alone, on wasm: per layer and
 * direction the input projection `[T·B, I_l]·[I_l, G·H]` (one matMul) and T per-step
 * products `[B, H]·[H, G·H]` (the kernel called directly, as the steps call it). What the
 * call would take if everything else in it were free: 'manual ÷ matMuls' says how close to
 * wasm's limit the rest of the step is. Undefined off wasm, where the steps are not these
 * kernels. The returned call leaves no tensor behind; `dispose` frees its operands.
 */
export function matMulsAlone(shape: BenchShape, cell: Mode): { call: () => void; dispose: () => void } | undefined {
  const kernels = wasmKernels();
  if (kernels === undefined) return undefined;
  const { batch, seq, input, hidden, layers, directions } = shape;
  const gateSize = GATE_COUNTS[cell] * hidden;
  const operands = tf.tidy(() =>
    Array.from({ length: layers }, (_, layer) => {
      const layerInput = layer === 0 ? input : directions * hidden;
      return {
        inputs: tf.randomNormal([seq * batch, layerInput]) as tf.Tensor2D,
        weightIhT: tf.randomNormal([layerInput, gateSize]) as tf.Tensor2D,
        hidden: tf.randomNormal([batch, hidden]) as tf.Tensor2D,
        weightHhT: tf.randomNormal([hidden, gateSize]) as tf.Tensor2D,
        product: tf.zeros([batch, gateSize]) as tf.Tensor2D,
      };
    }),
  );
  const id = (tensor: tf.Tensor) => idOf(kernels.backend, tensor);
  const steps = operands.map(({ hidden: h, weightHhT, product }) => {
    const recurrentProduct = matMulBy(kernels, id(weightHhT), [batch, hidden, gateSize]);
    return () => recurrentProduct(id(h), id(product));
  });
  return {
    call: () =>
      operands.forEach(({ inputs, weightIhT }, layer) => {
        for (let direction = 0; direction < directions; direction++) {
          tf.matMul(inputs, weightIhT).dispose();
          for (let t = 0; t < seq; t++) steps[layer]();
        }
      }),
    dispose: () => operands.forEach((tensors) => tf.dispose(Object.values(tensors))),
  };
}
