export { LayersRNN, LayersRNNOptions } from './rnn';
