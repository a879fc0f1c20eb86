import * as tf from '@tensorflow/tfjs';
import { Chunk, createChunkRunner, joinChunkOutputs, sliceChunk } from '../../src/cli/chunkRunner';
import { ModelSpec } from '../../src/cli/modelFile';
import { RNNConfig, checkConfig } from '../../src/config';
import { toHostArrays } from '../../src/formats';
import { createManualModel } from '../../src/manual';
import { sequenceArray } from './helpers';

/**
 * The main thread computes its chunks a slice of rows at a time (so that signals are served):
 * the slices' outputs joined are the whole chunk's, bit for bit, in either layout, with h0, c0
 * and lengths, for both implementations.
 */

describe.each<[string, RNNConfig]>([
  ['time-major LSTM with proj_size', { mode: 'LSTM', inputSize: 3, hiddenSize: 5, projSize: 2, numLayers: 2 }],
  ['batch-first bidirectional GRU', { mode: 'GRU', inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true }],
])('%s', (_, rnnConfig) => {
  const config = checkConfig(rnnConfig);
  const rows = 7;
  const seqLen = 6;
  let spec: ModelSpec;

  beforeAll(async () => {
    await tf.ready();
    const model = createManualModel(config, { seed: 5 });
    spec = { config, stateDict: toHostArrays(model.stateDict()) };
    model.dispose();
  });

  it('slices [0, 3), [3, 4), [4, 7) joined give the whole chunk, bit for bit, leaking no tensor', () => {
    const states = config.numLayers * (config.bidirectional ? 2 : 1);
    const hOut = config.projSize > 0 ? config.projSize : config.hiddenSize;
    const chunk: Chunk = {
      input: sequenceArray(config.batchFirst ? [rows, seqLen, 3] : [seqLen, rows, 3], 2),
      h0: sequenceArray([states, rows, hOut], 3),
      c0: config.mode === 'LSTM' ? sequenceArray([states, rows, config.hiddenSize], 4) : undefined,
      lengths: Int32Array.of(6, 1, 3, 6, 2, 5, 4),
    };
    const runner = createChunkRunner(spec, ['manual', 'layers'], 'auto');
    const tensors = tf.memory().numTensors;
    const whole = runner.run(chunk);
    const parts = [[0, 3], [3, 4], [4, 7]].map(([start, end]) => runner.run(sliceChunk(spec, chunk, start, end)));
    const joined = joinChunkOutputs(spec, chunk, parts);
    expect(tf.memory().numTensors).toBe(tensors);
    runner.dispose();
    for (const implementation of ['manual', 'layers'] as const) {
      const [a, b] = [whole[implementation], joined[implementation]];
      expect(b?.output.shape).toEqual(a?.output.shape);
      expect(Buffer.from((b?.output.data as Float32Array).buffer)).toEqual(Buffer.from((a?.output.data as Float32Array).buffer));
      expect(Buffer.from((b?.hN?.data as Float32Array).buffer)).toEqual(Buffer.from((a?.hN?.data as Float32Array).buffer));
      if (config.mode === 'LSTM') expect(Buffer.from((b?.cN?.data as Float32Array).buffer)).toEqual(Buffer.from((a?.cN?.data as Float32Array).buffer));
    }
  });
});
