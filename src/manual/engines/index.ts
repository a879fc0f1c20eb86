import { FullRNNConfig } from '../../config';
import { Cell, cellFor } from '../cells';
import { FusedStepWeights, FusedSteps, createFusedSteps } from './host';
import { WasmSteps, wasmStepsFor } from './wasm';

/** A configuration's cell (its tf-op step and backward, the reference) and its steps on the host and wasm engines. */
export interface CellEngines {
  cell: Cell;
  /** One layer-direction's fused host steps from its weights; `outSize` is h's features. The caller releases them. */
  host: (weights: FusedStepWeights, outSize: number) => FusedSteps;
  wasm: WasmSteps;
}

/** The cell of a configuration's mode on every engine. */
export function cellEnginesFor(config: FullRNNConfig): CellEngines {
  return { cell: cellFor(config), host: (weights, outSize) => createFusedSteps(config, weights, outSize), wasm: wasmStepsFor(config) };
}
