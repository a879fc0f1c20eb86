import * as tf from '@tensorflow/tfjs';
import { HostArray, toTensors } from '../formats';
import { createLayersModel } from '../layers';
import { StepLoop, createManualModel } from '../manual';
import { disposeKerasWeights, torchToKeras } from '../mapping';
import { InitialState, RecurrentModel } from '../shapes';
import { ModelSpec } from './modelFile';

/** The hand-written recurrence (`ManualModel`) or its tf.layers twin (`LayersModel`), of the config's mode. */
export type Implementation = 'manual' | 'layers';
export const IMPLEMENTATIONS: readonly Implementation[] = ['manual', 'layers'];

/** Some whole sequences of a file, in its layout with the batch axis cut to the chunk's rows. */
export interface Chunk {
  input: HostArray;
  h0?: HostArray;
  /** An LSTM's initial cell state, given with `h0`. */
  c0?: HostArray;
  /** `[rows]` valid steps of each sequence. */
  lengths?: Int32Array;
}

/** What each implementation returns for a chunk, shaped as PyTorch returns it. */
export interface ChunkOutput {
  output: HostArray;
  hN: HostArray;
  /** An LSTM's final cell states. */
  cN?: HostArray;
}
export type ChunkOutputs = Partial<Record<Implementation, ChunkOutput>>;

/** Runs chunks through models built once, in eval mode, on the active backend. */
export interface ChunkRunner {
  run(chunk: Chunk): ChunkOutputs;
  dispose(): void;
}

/** A model of `implementation` holding `spec`'s weights, in eval mode (no dropout); `loop` is the hand-written model's. */
function buildModel(spec: ModelSpec, implementation: Implementation, loop: StepLoop): RecurrentModel {
  const tensors = toTensors(spec.stateDict);
  try {
    if (implementation === 'manual') {
      const model = createManualModel(spec.config, { loop }).eval();
      model.loadStateDict(tensors);
      return model;
    }
    const model = createLayersModel(spec.config, { initialization: 'zeros' }).eval();
    const keras = torchToKeras(tensors, spec.config);
    model.setKerasWeights(keras);
    disposeKerasWeights(keras);
    return model;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** `tensor`'s values, copied off the backend into a host array of its own. */
function toHost(tensor: tf.Tensor): HostArray {
  return { shape: tensor.shape, data: new Float32Array(tensor.dataSync()) };
}

/** A runner of `implementations`, each model built from `spec` (the hand-written one's steps by `loop`). */
export function createChunkRunner(spec: ModelSpec, implementations: readonly Implementation[], loop: StepLoop): ChunkRunner {
  const models = implementations.map((implementation) => [implementation, buildModel(spec, implementation, loop)] as const);
  return {
    run(chunk) {
      const toTensor = (array: HostArray) => tf.tensor(array.data, array.shape, 'float32');
      const input = toTensor(chunk.input);
      const states = [chunk.h0, chunk.c0].flatMap((array) => (array ? [toTensor(array)] : []));
      const hx: InitialState | undefined = states.length === 2 ? [states[0], states[1]] : states[0];
      try {
        const outputs: ChunkOutputs = {};
        for (const [implementation, model] of models) {
          const { output, hN, cN } = model.forward(input, hx, { lengths: chunk.lengths });
          outputs[implementation] = { output: toHost(output), hN: toHost(hN), ...(cN && { cN: toHost(cN) }) };
          tf.dispose([output, hN, ...(cN ? [cN] : [])]);
        }
        return outputs;
      } finally {
        tf.dispose([input, ...states]);
      }
    },
    dispose: () => models.forEach(([, model]) => model.dispose()),
  };
}
