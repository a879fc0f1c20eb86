export { ManualModel, ManualRNN, ManualLSTM, ManualGRU, ManualOptions, createManualModel } from './model';
export { HOST_LOOP_MAX_MULTIPLY_ADDS, StepLoop } from './hostLoop';
