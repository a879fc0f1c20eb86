import * as tf from '@tensorflow/tfjs';
import { LayersRNN, ManualRNN, ManualRNNOptions, StepLoop, disposeKerasWeights, torchToKeras } from '../../src';
import { Fixture, configOf, stateDictOf } from './fixtures';

/** Both ways the hand-written recurrence runs its steps; every parity test runs each. */
export const STEP_LOOPS: StepLoop[] = ['host', 'tensor'];

/** A hand-written model holding the fixture's PyTorch weights. */
export function manualFromTorch(fixture: Fixture, options: ManualRNNOptions = {}): ManualRNN {
  const model = new ManualRNN(configOf(fixture), options);
  const stateDict = stateDictOf(fixture);
  model.loadStateDict(stateDict);
  tf.dispose(Object.values(stateDict));
  return model;
}

/** A twin holding the fixture's PyTorch weights, mapped with `torchToKeras`. */
export function layersFromTorch(fixture: Fixture): LayersRNN {
  const model = new LayersRNN(configOf(fixture));
  const stateDict = stateDictOf(fixture);
  const weights = torchToKeras(stateDict, configOf(fixture));
  model.setKerasWeights(weights);
  disposeKerasWeights(weights);
  tf.dispose(Object.values(stateDict));
  return model;
}
