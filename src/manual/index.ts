export { ManualModel, ManualRNN, ManualLSTM, ManualGRU, ManualOptions, createManualModel } from './model';
export {
  BackendTraits,
  Engine,
  ForwardCall,
  ForwardPlan,
  HOST_FORWARD_MAX_MULTIPLY_ADDS,
  HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS,
  HOST_LOOP_MAX_MULTIPLY_ADDS,
  STEP_LOOPS,
  StepLoop,
  activeBackendTraits,
  describeEngines,
  hostEngineAllowedOn,
  multiplyAddsPerStep,
  planForward,
} from './plan';
export { SUPPORTED_WASM_VERSIONS, describeWasmSupport, wasmEngineStatus } from './engines/wasm';
