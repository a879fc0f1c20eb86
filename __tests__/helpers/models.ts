import * as tf from '@tensorflow/tfjs';
import { LayersRNN, ManualRNN, disposeKerasWeights, torchToKeras } from '../../src';
import { Fixture, configOf, stateDictOf } from './fixtures';

/** A hand-written model holding the fixture's PyTorch weights. */
export function manualFromTorch(fixture: Fixture): ManualRNN {
  const model = new ManualRNN(configOf(fixture));
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
