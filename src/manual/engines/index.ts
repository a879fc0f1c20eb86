import { FullRNNConfig } from '../../config';
import { Cell, cellFor } from '../cells';
import { HostSteps, hostStepsFor } from './host';
import { WasmSteps, wasmStepsFor } from './wasm';

/** A configuration's cell (its tf-op step and backward, the reference) and its steps on the host and wasm engines. */
export interface CellEngines {
  cell: Cell;
  host: HostSteps;
  wasm: WasmSteps;
}

/** The cell of a configuration's mode on every engine. */
export function cellEnginesFor(config: FullRNNConfig): CellEngines {
  return { cell: cellFor(config), host: hostStepsFor(config), wasm: wasmStepsFor(config) };
}
