import { Nonlinearity } from '../../../config';
import { Activation } from './product';
import { HostDirection, HostSteps, runHostSteps } from './stepLoop';

const TANH: readonly Activation[] = ['tanh'];

/**
 * The RNN's forward steps on host arrays (see `cells/rnn.ts` for the maths), in the shared
 * host loop: `act(p_t + h W_hhᵀ)`, the sum and tanh on the host kernels, relu as `max(·, 0)`.
 * @returns h `[L, N, H]`, flat.
 */
export function rnnStepsOnHost(nonlinearity: Nonlinearity): HostSteps {
  return ({ dims, projection, initial, recurrent, reverse, lengths }: HostDirection) => {
    const { hiddenSize, batchSize } = dims;
    return runHostSteps(dims, hiddenSize, initial, [hiddenSize], { reverse, lengths }, (projectionStart, [hidden], [previous], [next]) => {
      const sums = recurrent.multiply(hidden, previous, batchSize, projection, projectionStart);
      if (nonlinearity === 'tanh') recurrent.activate(TANH, 0, hiddenSize);
      else for (let i = 0; i < sums.length; i++) sums[i] = Math.max(sums[i], 0);
      hidden.set(sums, next);
    });
  };
}
