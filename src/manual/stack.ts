import * as tf from '@tensorflow/tfjs';
import { FullRNNConfig, numDirections } from '../config';
import { Cell, StepWeights } from './cells';
import { DirectionWeights, directionWeights } from './parameters';
import { StepLoop } from './hostLoop';
import { projectInputs } from './projection';
import { recur } from './recurrence';
import { copyStep, wasmKernels } from './wasmSteps';
import { dropoutBetweenLayers, unstackStates, zeroPaddedSteps } from '../shapes';

/** A direction's weights as its steps use them, and the bias its input projection adds. */
export function stepWeightsOf(cell: Cell, weights: DirectionWeights): { projectionBias?: tf.Tensor1D; stepWeights: StepWeights } {
  const biases = weights.biasIh && weights.biasHh ? cell.splitBias(weights.biasIh, weights.biasHh) : undefined;
  return {
    projectionBias: biases?.projectionBias,
    stepWeights: {
      recurrentT: tf.transpose(weights.weightHh),
      hiddenBias: biases?.hiddenBias,
      projectionT: weights.weightHr && tf.transpose(weights.weightHr),
    },
  };
}

/**
 * A direction's input projection `x_t W_ihᵀ + projection bias` for every step at once,
 * `[L, N, H_in]` → `[L, N, G·H]`, and the weights its steps use.
 */
function prepareDirection(cell: Cell, input: tf.Tensor3D, weights: DirectionWeights): { projection: tf.Tensor3D; stepWeights: StepWeights } {
  const { projectionBias, stepWeights } = stepWeightsOf(cell, weights);
  return { projection: projectInputs(input, weights.weightIh, projectionBias), stepWeights };
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
 * Runs every layer and direction, as PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU` do.
 * @param input `[L, N, H_in]`.
 * @param initialStates one per carried state (h, and c for an LSTM):
 *   `[D·numLayers, N, F]`, layer-major, direction-minor.
 * @param options `training` (dropout between layers), `lengths` `[N]` valid steps per
 *   sequence (checked; absent when every step is valid), `loop` (see `StepLoop`).
 * @returns output `[L, N, D·H_out]` (forward half, then reverse half; zero at padded steps)
 *   and the final states `[D·numLayers, N, F]`: the forward direction's after each
 *   sequence's last valid step, the reverse direction's after reading `x_0`.
 */
export function runLayers(
  config: FullRNNConfig,
  cell: Cell,
  parameters: ReadonlyMap<string, tf.Tensor>,
  input: tf.Tensor3D,
  initialStates: tf.Tensor3D[],
  { training, lengths, loop }: { training: boolean; lengths?: Int32Array; loop: StepLoop },
): { output: tf.Tensor3D; finalStates: tf.Tensor3D[] } {
  const directions = numDirections(config);
  const initialSteps = initialStates.map(unstackStates);
  const finalSteps: tf.Tensor2D[][] = initialStates.map(() => []);
  let layerInput = input;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const directionOutputs: tf.Tensor3D[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const { projection, stepWeights } = prepareDirection(cell, layerInput, directionWeights(parameters, config, layer, direction));
      const reverse = direction === 1;
      const initial = initialSteps.map((steps) => steps[layer * directions + direction]);
      const states = recur(cell, projection, initial, stepWeights, { reverse, lengths, loop });
      states.forEach((sequence, i) => finalSteps[i].push(stepAt(sequence, reverse ? 0 : sequence.shape[0] - 1)));
      directionOutputs.push(states[0]);
    }
    layerInput = dropoutBetweenLayers(
      directions === 1 ? directionOutputs[0] : tf.concat3d(directionOutputs, 2),
      config.dropout,
      training,
      layer === config.numLayers - 1,
    );
  }
  const output = lengths === undefined ? layerInput : zeroPaddedSteps(layerInput, lengths, true);
  return { output, finalStates: finalSteps.map((steps) => tf.stack<tf.Tensor2D>(steps) as tf.Tensor3D) };
}
