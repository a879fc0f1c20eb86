import * as tf from '@tensorflow/tfjs';
import { LayersModel, ManualModel, ManualOptions, StepLoop, createLayersModel, createManualModel, disposeKerasWeights, torchToKeras } from '../../src';
import { Fixture, configOf, stateDictOf } from './fixtures';

/** Both ways the hand-written recurrence runs its steps; every parity test runs each. */
export const STEP_LOOPS: StepLoop[] = ['host', 'tensor'];

/** A hand-written model holding the fixture's PyTorch weights. */
export function manualFromTorch(fixture: Fixture, options: ManualOptions = {}): ManualModel {
  const model = createManualModel(configOf(fixture), options);
  const stateDict = stateDictOf(fixture);
  model.loadStateDict(stateDict);
  tf.dispose(Object.values(stateDict));
  return model;
}

/** A twin holding the fixture's PyTorch weights, mapped with `torchToKeras`. */
export function layersFromTorch(fixture: Fixture): LayersModel {
  const model = createLayersModel(configOf(fixture));
  const stateDict = stateDictOf(fixture);
  const weights = torchToKeras(stateDict, configOf(fixture));
  model.setKerasWeights(weights);
  disposeKerasWeights(weights);
  tf.dispose(Object.values(stateDict));
  return model;
}
