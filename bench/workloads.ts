import * as tf from '@tensorflow/tfjs';
import { Mode as Cell } from '../src/config';
import { LayersModel, createLayersModel } from '../src/layers';
import { ManualModel, createManualModel } from '../src/manual';
import { copyManualToLayers } from '../src/mapping';
import { RecurrentModel } from '../src/shapes';
import { Impl, Mode } from './record';
import { BenchShape } from './shapes';

/** The hand-written model and its tf.layers twin holding the same weights, batchFirst. */
export interface Twins {
  manual: ManualModel;
  layers: LayersModel;
}

export function makeTwins(shape: BenchShape, cell: Cell, seed: number): Twins {
  const config = {
    mode: cell,
    inputSize: shape.input,
    hiddenSize: shape.hidden,
    numLayers: shape.layers,
    bidirectional: shape.directions === 2,
    batchFirst: true,
  };
  const manual = createManualModel(config, { seed });
  const layers = createLayersModel(config, { seed });
  copyManualToLayers(manual, layers);
  return { manual, layers };
}

/** The two models compared. */
export type TfjsImpl = Extract<Impl, 'manual' | 'layers'>;

/** The trainable variables of either implementation, in a fixed order. */
function trainableVariables(twins: Twins, impl: TfjsImpl): tf.Variable[] {
  if (impl === 'manual') return [...twins.manual.namedParameters().values()];
  return twins.layers.layers.flatMap((layer) => layer.trainableWeights.map((weight) => weight.read() as tf.Variable));
}

/** Eval-mode forward, reading the output back to the host as a caller would. */
function inference(model: RecurrentModel): (input: tf.Tensor) => void {
  return (input) => {
    model.training = false;
    const result = model.forward(input);
    result.output.dataSync();
    tf.dispose(Object.values(result));
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
export function workload(twins: Twins, impl: TfjsImpl, mode: Mode): (input: tf.Tensor) => void {
  const model = twins[impl];
  return mode === 'inference' ? inference(model) : trainStep(model, trainableVariables(twins, impl));
}
