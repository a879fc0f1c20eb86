import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig } from '../config';
import { ConfigError } from '../errors';
import { LayersModel } from '../layers';
import { ManualModel } from '../manual';
import { disposeKerasWeights, kerasToTorch, torchToKeras } from './mapping';

/** The fields that decide the parameters' names and shapes, and the maths they feed. */
const SHARED_FIELDS = ['mode', 'inputSize', 'hiddenSize', 'numLayers', 'bias', 'bidirectional', 'nonlinearity', 'projSize'] as const;

function checkSameModel(from: FullRNNConfig, to: FullRNNConfig): void {
  for (const field of SHARED_FIELDS) {
    if (from[field] !== to[field]) {
      throw new ConfigError(`target.config.${field}`, String(from[field]), String(to[field]));
    }
  }
}

/** Copies a hand-written model's parameters into its tf.layers twin (exact: see `torchToKeras`). */
export function copyManualToLayers(from: ManualModel, to: LayersModel): void {
  checkSameModel(from.config, to.config);
  const weights = torchToKeras(from.stateDict(), from.config);
  try {
    to.setKerasWeights(weights);
  } finally {
    disposeKerasWeights(weights);
  }
}

/** Copies a tf.layers twin's weights into a hand-written model (`b_ih = bias`, `b_hh = 0`: see `kerasToTorch`). */
export function copyLayersToManual(from: LayersModel, to: ManualModel): void {
  checkSameModel(from.config, to.config);
  const stateDict = kerasToTorch(from.getKerasWeights(), from.config);
  try {
    to.loadStateDict(stateDict);
  } finally {
    tf.dispose(Object.values(stateDict));
  }
}
