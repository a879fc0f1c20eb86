import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, numDirections } from '../config';
import { Cell, StepWeights } from './cells';
import { CellEngines } from './engines';
import { WasmKernels, copyStep } from './engines/wasm';
import { DirectionWeights, directionWeights, stepWeightsOf } from './parameters';
import { ForwardPlan } from './plan';
import { projectInputs } from './projection';
import { recur } from './recurrence';
import { dropoutBetweenLayers, unstackStates, zeroPaddedSteps } from '../shapes';

/**
 * A direction's input projection `x_t W_ihᵀ + projection bias` for every step at once,
 * `[L, N, H_in]` → `[L, N, G·H]` (on the host engine's product when it runs the steps), and
 * the weights its steps use.
 */
function prepareDirection(cell: Cell, input: tf.Tensor3D, weights: DirectionWeights, onHost: boolean): { projection: tf.Tensor3D; stepWeights: StepWeights } {
  const { projectionBias, stepWeights } = stepWeightsOf(cell, weights);
  return { projection: projectInputs(input, weights.weightIh, projectionBias, onHost), stepWeights };
}

/**
 * Step `t` of `[L, N, F]`, as `[N, F]`, copying only that step: with wasm's `kernels` one
 * copy inside its heap, elsewhere `tf.gather` (`tf.slice` on wasm copies the whole source first: 11 ms for
 * the last state of `[50, 256, 256]`; wasm's gather takes 3). Differentiable: the gradient
 * is `dy` padded back to `[L, N, F]` with zeros.
 */
function stepAt(sequence: tf.Tensor3D, t: number, kernels: WasmKernels | undefined): tf.Tensor2D {
  const seqLen = sequence.shape[0];
  const take = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const whole = args[0] as tf.Tensor3D;
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
 *   sequence (checked; absent when every step is valid), the call's `plan` (its engine), and
 *   wasm's `kernels` where the backend is wasm with a supported version.
 * @returns output `[L, N, D·H_out]` (forward half, then reverse half; zero at padded steps)
 *   and the final states `[D·numLayers, N, F]`: the forward direction's after each
 *   sequence's last valid step, the reverse direction's after reading `x_0`.
 */
export function runLayers(
  config: FullRNNConfig,
  engines: CellEngines,
  parameters: ReadonlyMap<string, tf.Tensor>,
  input: tf.Tensor3D,
  initialStates: tf.Tensor3D[],
  { training, lengths, plan, kernels }: { training: boolean; lengths?: Int32Array; plan: ForwardPlan; kernels?: WasmKernels },
): { output: tf.Tensor3D; finalStates: tf.Tensor3D[] } {
  const directions = numDirections(config);
  const initialSteps = initialStates.map(unstackStates);
  const finalSteps: tf.Tensor2D[][] = initialStates.map(() => []);
  let layerInput = input;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const directionOutputs: tf.Tensor3D[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const weights = directionWeights(parameters, config, layer, direction);
      const { projection, stepWeights } = prepareDirection(engines.cell, layerInput, weights, plan.engine === 'host');
      const reverse = direction === 1;
      const initial = initialSteps.map((steps) => steps[layer * directions + direction]);
      const states = recur(engines, projection, initial, stepWeights, { reverse, lengths, engine: plan.engine, kernels });
      states.forEach((sequence, i) => finalSteps[i].push(stepAt(sequence, reverse ? 0 : sequence.shape[0] - 1, kernels)));
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
