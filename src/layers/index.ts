export { LayersModel, LayersRNN, LayersLSTM, LayersGRU, LayersOptions, createLayersModel, groupKerasWeights } from './model';
export * from './cells';
