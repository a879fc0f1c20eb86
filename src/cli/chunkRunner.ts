import * as tf from '@tensorflow/tfjs';
import { HostArray, toTensors } from '../formats';
import { LayersRNN } from '../layers';
import { ManualRNN } from '../manual';
import { disposeKerasWeights, torchToKeras } from '../mapping';
import { RecurrentModel } from '../shapes';
import { ModelSpec } from './modelFile';

/** The hand-written recurrence (`ManualRNN`) or its tf.layers twin (`LayersRNN`). */
export type Implementation = 'manual' | 'layers';
export const IMPLEMENTATIONS: readonly Implementation[] = ['manual', 'layers'];

/** Some whole sequences of a file, in its layout with the batch axis cut to the chunk's rows. */
export interface Chunk {
  input: HostArray;
  h0?: HostArray;
  /** `[rows]` valid steps of each sequence. */
  lengths?: Int32Array;
}

/** What each implementation returns for a chunk, shaped as PyTorch returns it. */
export interface ChunkOutput {
  output: HostArray;
  hN: HostArray;
}
export type ChunkOutputs = Partial<Record<Implementation, ChunkOutput>>;

/** Runs chunks through models built once, in eval mode, on the active backend. */
export interface ChunkRunner {
  run(chunk: Chunk): ChunkOutputs;
  dispose(): void;
}

/** A model of `implementation` holding `spec`'s weights, in eval mode (no dropout). */
function buildModel(spec: ModelSpec, implementation: Implementation): RecurrentModel {
  const tensors = toTensors(spec.stateDict);
  try {
    if (implementation === 'manual') {
      const model = new ManualRNN(spec.config).eval();
      model.loadStateDict(tensors);
      return model;
    }
    const model = new LayersRNN(spec.config).eval();
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

/** A runner of `implementations`, each model built from `spec`. */
export function createChunkRunner(spec: ModelSpec, implementations: readonly Implementation[]): ChunkRunner {
  const models = implementations.map((implementation) => [implementation, buildModel(spec, implementation)] as const);
  return {
    run(chunk) {
      const input = tf.tensor(chunk.input.data, chunk.input.shape, 'float32');
      const h0 = chunk.h0 && tf.tensor(chunk.h0.data, chunk.h0.shape, 'float32');
      try {
        const outputs: ChunkOutputs = {};
        for (const [implementation, model] of models) {
          const { output, hN } = model.forward(input, h0, { lengths: chunk.lengths });
          outputs[implementation] = { output: toHost(output), hN: toHost(hN) };
          tf.dispose([output, hN]);
        }
        return outputs;
      } finally {
        tf.dispose([input, ...(h0 ? [h0] : [])]);
      }
    },
    dispose: () => models.forEach(([, model]) => model.dispose()),
  };
}
