import * as tf from '@tensorflow/tfjs';
import { batchGeometry, withBatch } from '../../src/cli/batchRows';
import { Chunk, ChunkAxes, ChunkOutput, ChunkOutputs, Implementation, chunkAxes, createChunkRunner, sliceChunk } from '../../src/cli/chunkRunner';
import { wholeModelLayout } from '../../src/cli/layout';
import { ModelSpec, WholeModelFile } from '../../src/cli/modelFile';
import { RNNConfig, checkConfig } from '../../src/config';
import { HostArray, toHostArrays } from '../../src/formats';
import { stripWrapperPrefixes } from '../../src/formats/modules';
import { createManualModel } from '../../src/manual';
import { bindModel, checkModelSpec } from '../../src/model';
import { loadModelFixture, readNpyFile } from '../helpers/modelFixtures';
import { sequenceArray } from './helpers';

/**
 * The main thread computes its chunks a slice of rows at a time (so that signals are served),
 * and each slice's outputs are written where its rows go: the slices' outputs joined are the
 * whole chunk's, bit for bit, in either layout, with h0, c0
 * and lengths, for both implementations; for whole models too (token ids or features, an
 * output per step or per sequence).
 */

/** `parts` (of consecutive rows along `axis`) as one array. */
function joinRows(parts: HostArray[], axis: number): HostArray {
  const rows = parts.reduce((total, part) => total + part.shape[axis], 0);
  const shape = withBatch(parts[0].shape, axis, rows);
  const { outer, inner } = batchGeometry(shape, axis);
  const data = new Float32Array(outer * rows * inner);
  let start = 0;
  for (const part of parts) {
    const length = part.shape[axis] * inner;
    for (let o = 0; o < outer; o++) data.set(part.data.subarray(o * length, (o + 1) * length), (o * rows + start) * inner);
    start += part.shape[axis];
  }
  return { shape, data };
}

/** The outputs of consecutive row slices of a batched chunk (`sliceChunk`) as the outputs of the whole chunk. */
function joinChunkOutputs(axes: ChunkAxes, parts: ChunkOutputs[]): ChunkOutputs {
  const joined: ChunkOutputs = {};
  for (const implementation of Object.keys(parts[0]) as Implementation[]) {
    const outputs = parts.map((part) => part[implementation] as ChunkOutput);
    const hN = outputs[0].hN && joinRows(outputs.map((output) => output.hN as HostArray), axes.state as number);
    const cN = outputs[0].cN && joinRows(outputs.map((output) => output.cN as HostArray), axes.state as number);
    joined[implementation] = { output: joinRows(outputs.map((output) => output.output), axes.output as number), ...(hN && { hN }), ...(cN && { cN }) };
  }
  return joined;
}

/** Expects every array of `joined` to hold the bytes of `whole`'s, for each implementation. */
function expectSameBits(joined: ChunkOutputs, whole: ChunkOutputs): void {
  for (const implementation of ['manual', 'layers'] as const) {
    const [a, b] = [whole[implementation], joined[implementation]];
    for (const key of ['output', 'hN', 'cN'] as const) {
      expect(b?.[key]?.shape).toEqual(a?.[key]?.shape);
      if (a?.[key] !== undefined) expect(Buffer.from((b?.[key]?.data as Float32Array).buffer)).toEqual(Buffer.from((a[key]?.data as Float32Array).buffer));
    }
  }
}

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
    const axis = config.batchFirst ? 0 : 1;
    const axes: ChunkAxes = { input: axis, output: axis, state: 1 };
    const parts = [[0, 3], [3, 4], [4, 7]].map(([start, end]) => runner.run(sliceChunk(axes, chunk, start, end)));
    const joined = joinChunkOutputs(axes, parts);
    expect(tf.memory().numTensors).toBe(tensors);
    runner.dispose();
    expect(joined.manual?.cN === undefined).toBe(config.mode !== 'LSTM');
    expectSameBits(joined, whole);
  });
});

describe.each([
  ['gru_mean_mlp', 'features [N, L, F], lengths, a vector per sequence [N, F]'],
  ['lstm_tagger', 'an output per step'],
  ['char_lm', 'token ids [N, L]'],
])('whole model %s (%s)', (name) => {
  it('slices of its rows joined give the whole chunk, bit for bit, leaking no tensor', async () => {
    await tf.ready();
    const fixture = await loadModelFixture(name);
    const model = checkModelSpec(fixture.spec);
    const stateDict = stripWrapperPrefixes(fixture.stateDict).stateDict;
    const spec: WholeModelFile = { model, stateDict };
    const { shape, values } = readNpyFile(fixture.inputPath);
    const axes = chunkAxes(wholeModelLayout(model, bindModel(model, stateDict), shape, name));
    const rows = shape[axes.input as number];
    expect(rows).toBeGreaterThanOrEqual(2);
    const cuts = [...new Set([0, 1, rows - 1, rows])];
    const chunk: Chunk = { input: { shape, data: Float32Array.from(values) }, ...(fixture.lengths && { lengths: Int32Array.from(fixture.lengths) }) };
    const runner = createChunkRunner(spec, ['manual', 'layers'], 'auto');
    const tensors = tf.memory().numTensors;
    const whole = runner.run(chunk);
    const parts = cuts.slice(1).map((end, i) => runner.run(sliceChunk(axes, chunk, cuts[i], end)));
    const joined = joinChunkOutputs(axes, parts);
    expect(tf.memory().numTensors).toBe(tensors);
    runner.dispose();
    expectSameBits(joined, whole);
  });
});
