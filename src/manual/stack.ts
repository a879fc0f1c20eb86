import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, numDirections } from '../config';
import { DirectionWeights, directionWeights } from './parameters';
import { StepLoop } from './hostLoop';
import { projectInputs } from './projection';
import { recur } from './recurrence';
import { copyStep, wasmKernels } from './wasmSteps';
import { dropoutBetweenLayers, unstackStates, zeroPaddedSteps } from '../shapes';

/** `x_t W_ihᵀ + b_ih + b_hh` for every step at once: `[L, N, H_in]` → `[L, N, H]`. */
function projectDirection(input: tf.Tensor3D, weights: DirectionWeights): tf.Tensor3D {
  const bias = weights.biasIh && weights.biasHh ? tf.add<tf.Tensor1D>(weights.biasIh, weights.biasHh) : undefined;
  return projectInputs(input, weights.weightIh, bias);
}

/**
 * Step `t` of `[L, N, F]`, as `[N, F]`, copying only that step: on wasm one copy inside its
 * heap, elsewhere `tf.gather` (`tf.slice` on wasm copies the whole source first: 11 ms for
 * the last state of `[50, 256, 256]`; wasm's gather takes 3). Differentiable: the gradient
 * is `dy` padded back to `[L, N, F]` with zeros.
 */
function stepAt(sequence: tf.Tensor3D, t: number): tf.Tensor2D {
  const seqLen = sequence.shape[0];
  const take = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const whole = args[0] as tf.Tensor3D;
    const kernels = wasmKernels();
    return {
      value: kernels ? copyStep(kernels, whole, t) : tf.gather(whole, t),
      gradFunc: (dy: tf.Tensor) => tf.pad(tf.expandDims(dy, 0), [[t, seqLen - 1 - t], [0, 0], [0, 0]]),
    };
  });
  return take(sequence) as tf.Tensor2D;
}

/**
 * Runs every layer and direction, as PyTorch's `nn.RNN` does.
 * @param input `[L, N, H_in]`.
 * @param h0 `[D·numLayers, N, H]`, layer-major, direction-minor.
 * @param options `training` (dropout between layers), `lengths` `[N]` valid steps per
 *   sequence (checked; absent when every step is valid), `loop` (see `StepLoop`).
 * @returns output `[L, N, D·H]` (forward half, then reverse half; zero at padded steps) and
 *   hN `[D·numLayers, N, H]`: the forward direction's state after each sequence's last valid
 *   step, the reverse direction's state after reading `x_0`.
 */
export function runLayers(
  config: FullRNNConfig,
  parameters: ReadonlyMap<string, tf.Tensor>,
  input: tf.Tensor3D,
  h0: tf.Tensor3D,
  { training, lengths, loop }: { training: boolean; lengths?: Int32Array; loop: StepLoop },
): { output: tf.Tensor3D; hN: tf.Tensor3D } {
  const directions = numDirections(config);
  const initialStates = unstackStates(h0);
  const finalStates: tf.Tensor2D[] = [];
  let layerInput = input;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const directionOutputs: tf.Tensor3D[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const weights = directionWeights(parameters, config, layer, direction);
      const reverse = direction === 1;
      const states = recur(
        projectDirection(layerInput, weights),
        initialStates[layer * directions + direction],
        tf.transpose(weights.weightHh),
        { nonlinearity: config.nonlinearity, reverse, lengths, loop },
      );
      finalStates.push(stepAt(states, reverse ? 0 : states.shape[0] - 1));
      directionOutputs.push(states);
    }
    layerInput = dropoutBetweenLayers(
      directions === 1 ? directionOutputs[0] : tf.concat3d(directionOutputs, 2),
      config.dropout,
      training,
      layer === config.numLayers - 1,
    );
  }
  const output = lengths === undefined ? layerInput : zeroPaddedSteps(layerInput, lengths, true);
  return { output, hN: tf.stack<tf.Tensor2D>(finalStates) as tf.Tensor3D };
}
