export { ManualRNN, ManualRNNOptions } from './rnn';
