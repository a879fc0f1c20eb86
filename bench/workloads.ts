import * as tf from '@tensorflow/tfjs';
import { LayersRNN } from '../src/layers';
import { ManualRNN } from '../src/manual';
import { copyManualToLayers } from '../src/mapping';
import { RecurrentModel } from '../src/shapes';
import { Impl, Mode } from './record';
import { BenchShape } from './shapes';

/** The hand-written model and its tf.layers twin holding the same weights, batchFirst. */
export interface Twins {
  manual: ManualRNN;
  layers: LayersRNN;
}

export function makeTwins(shape: BenchShape, seed: number): Twins {
  const config = {
    inputSize: shape.input,
    hiddenSize: shape.hidden,
    numLayers: shape.layers,
    bidirectional: shape.directions === 2,
    batchFirst: true,
  };
  const manual = new ManualRNN(config, { seed });
  const layers = new LayersRNN(config, { seed });
  copyManualToLayers(manual, layers);
  return { manual, layers };
}

/** The trainable variables of either implementation, in a fixed order. */
function trainableVariables(twins: Twins, impl: Exclude<Impl, 'torch'>): tf.Variable[] {
  if (impl === 'manual') return [...twins.manual.namedParameters().values()];
  return twins.layers.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable));
}

/** Eval-mode forward, reading the output back to the host as a caller would. */
function inference(model: RecurrentModel): (input: tf.Tensor) => void {
  return (input) => {
    model.training = false;
    const { output, hN } = model.forward(input);
    output.dataSync();
    tf.dispose([output, hN]);
  };
}

/** Forward and the gradients of `sum(output²)` w.r.t. every trainable variable. */
function trainStep(model: RecurrentModel, variables: tf.Variable[]): (input: tf.Tensor) => void {
  return (input) => {
    model.training = true;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(input).output)), variables);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
}

/** The call measured for one implementation in one mode; it leaves no tensor behind. */
export function workload(twins: Twins, impl: Exclude<Impl, 'torch'>, mode: Mode): (input: tf.Tensor) => void {
  const model = twins[impl];
  return mode === 'inference' ? inference(model) : trainStep(model, trainableVariables(twins, impl));
}
