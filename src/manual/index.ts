export { ManualRNN, ManualRNNOptions } from './rnn';
export { HOST_LOOP_MAX_MULTIPLY_ADDS, StepLoop } from './hostLoop';
