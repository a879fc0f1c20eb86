import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig } from '../../../config';
import { StepWeights } from '../../cells';
import { gruStepsOnWasm } from './gru';
import { lstmStepsOnWasm } from './lstm';
import { rnnStepsOnWasm } from './rnn';
import { WasmKernels } from './adapter';

export { SUPPORTED_WASM_VERSIONS, WasmKernels, describeWasmSupport, heapValues, uninitialisedTensor, wasmEngineStatus, wasmKernels } from './adapter';
export { copyStep } from './stepLoop';

/** A cell's forward steps on wasm's kernels: each state `[L, N, F]`, in time order. */
export type WasmSteps = (
  kernels: WasmKernels,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  weights: StepWeights,
  options: { reverse: boolean; lengths?: Int32Array },
) => tf.Tensor3D[];

/** The wasm engine's forward steps of a configuration's cell. */
export function wasmStepsFor(config: FullRNNConfig): WasmSteps {
  switch (config.mode) {
    case 'RNN':
      return (kernels, projection, [initial], { recurrentT }, options) => [
        rnnStepsOnWasm(kernels, projection, initial, recurrentT, { nonlinearity: config.nonlinearity, ...options }),
      ];
    case 'LSTM':
      return lstmStepsOnWasm;
    case 'GRU':
      return gruStepsOnWasm;
  }
}
