export { ManualModel, ManualRNN, ManualLSTM, ManualGRU, ManualOptions, createManualModel } from './model';
export { HOST_LOOP_MAX_MULTIPLY_ADDS, StepLoop } from './hostLoop';
export { HOST_FORWARD_MAX_MULTIPLY_ADDS, HOST_FORWARD_MAX_STEP_MULTIPLY_ADDS } from './hostForward';
