import { FullRNNConfig } from '../../../config';
import { gruStepsOnHost } from './gru';
import { lstmStepsOnHost } from './lstm';
import { rnnStepsOnHost } from './rnn';
import { HostSteps } from './stepLoop';

export { HostDirection, HostSteps, SequenceDims, runHostSteps } from './stepLoop';
export { Activation, HostProduct, ProductWeights, createHostProduct } from './product';
export { hostProductOf } from './productFromTensor';
export { HostModelForward, hostCallInLayout, projectRows } from './modelForward';

/** The host engine's forward steps of a configuration's cell. */
export function hostStepsFor(config: FullRNNConfig): HostSteps {
  switch (config.mode) {
    case 'RNN':
      return rnnStepsOnHost(config.nonlinearity);
    case 'LSTM':
      return lstmStepsOnHost;
    case 'GRU':
      return gruStepsOnHost;
  }
}
