export { LayersRNN, LayersRNNOptions } from './rnn';
export * from './cells';
