import { promises as fs } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { availableBackends, initBackend } from '../../src/backend';
import { RNNConfig } from '../../src/config';
import { FORWARD_TOLERANCE, compareArrays } from '../../src/compare';
import { HostArray } from '../../src/formats';
import { FIXTURES, listDir, makeTempDir, readNpy, referenceForward, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

const MODEL = join(FIXTURES, 'model');
const SUMMARY = /^\d+ sequences in \d+\.\d\d s \(\d+(\.\d)? seq\/s\), backend \w+, \d+ workers?\n$/;

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

/** Concatenates arrays along `axis`. */
function concat(arrays: HostArray[], axis: number): HostArray {
  const shape = [...arrays[0].shape];
  shape[axis] = arrays.reduce((total, array) => total + array.shape[axis], 0);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const array of arrays) {
      const block = array.data.length / outer;
      data.set(array.data.subarray(o * block, (o + 1) * block), offset);
      offset += block;
    }
  }
  return { shape, data };
}

describe.each(availableBackends())('run on %s', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  const base = ['--backend', backend, '--workers', '1'];

  it('matches PyTorch on a model it exported (2 layers, bidirectional, batch_first, h0)', async () => {
    const args = ['run', ...base, '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json')];
    const result = await runCli([...args, '--input', join(MODEL, 'input.npy'), '--h0', join(MODEL, 'h0.npy'), '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(SUMMARY) });
    expect(compareArrays(await readNpy(join(dir, 'out.npy')), await readNpy(join(MODEL, 'output.npy')), FORWARD_TOLERANCE).ok).toBe(true);
    expect(compareArrays(await readNpy(join(dir, 'hn.npy')), await readNpy(join(MODEL, 'h_n.npy')), FORWARD_TOLERANCE).ok).toBe(true);
  });

  it('matches PyTorch with --lengths (pack_padded_sequence, enforce_sorted=False)', async () => {
    const args = ['run', ...base, '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--batch-size', '3'];
    const result = await runCli([...args, '--input', join(MODEL, 'input.npy'), '--h0', join(MODEL, 'h0.npy'), '--lengths', join(MODEL, 'lengths.npy'), '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
    expect(result.code).toBe(0);
    expect(compareArrays(await readNpy(join(dir, 'out.npy')), await readNpy(join(MODEL, 'packed_output.npy')), FORWARD_TOLERANCE).ok).toBe(true);
    expect(compareArrays(await readNpy(join(dir, 'hn.npy')), await readNpy(join(MODEL, 'packed_h_n.npy')), FORWARD_TOLERANCE).ok).toBe(true);
  });

  it.each<[string, RNNConfig, number[], number[]]>([
    ['time-major [L, N, F]', { inputSize: 3, hiddenSize: 4, numLayers: 2, nonlinearity: 'relu' }, [5, 7, 3], [2, 7, 4]],
    ['batch-major [N, L, F]', { inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true }, [7, 5, 3], [2, 7, 4]],
    ['unbatched [L, F]', { inputSize: 3, hiddenSize: 4, bidirectional: true, bias: false }, [5, 3], [2, 4]],
  ])('writes %s output and h_n exactly as the model returns them, in chunks of any size', async (_, config, shape, stateShape) => {
    const model = await writeModel(dir, config);
    const input = sequenceArray(shape);
    const h0 = sequenceArray(stateShape, 5);
    const paths = ['--input', await writeNpy(dir, 'x.npy', input), '--h0', await writeNpy(dir, 'h0.npy', h0)];
    const expected = referenceForward(config, input, h0);
    for (const batchSize of ['100', '3', '1']) {
      const out = join(dir, `out${batchSize}.npy`);
      const hn = join(dir, `hn${batchSize}.json`);
      const result = await runCli(['run', ...base, '--weights', model.weights, '--config', model.config, ...paths, '--output', out, '--hn', hn, '--batch-size', batchSize]);
      expect(result.code).toBe(0);
      expect(await readNpy(out)).toEqual(expected.output);
      expect(JSON.parse(await fs.readFile(hn, 'utf8')).flat(2)).toEqual(Array.from(expected.hN.data));
    }
  });

  it('splits the batch into shards that concatenate to the whole run (time-major: batch axis 1)', async () => {
    const config = { inputSize: 2, hiddenSize: 3, numLayers: 2 };
    const model = await writeModel(dir, config);
    const input = sequenceArray([4, 10, 2]);
    const inputPath = await writeNpy(dir, 'x.npy', input);
    const expected = referenceForward(config, input);
    const outputs: HostArray[] = [];
    const states: HostArray[] = [];
    for (const shard of ['0/3', '1/3', '2/3']) {
      const out = join(dir, `out${shard[0]}.npy`);
      const hn = join(dir, `hn${shard[0]}.npy`);
      const result = await runCli(['run', ...base, '--weights', model.weights, '--config', model.config, '--input', inputPath, '--output', out, '--hn', hn, '--shard', shard]);
      expect(result.stderr).toMatch(/^3 sequences|^4 sequences/);
      outputs.push(await readNpy(out));
      states.push(await readNpy(hn));
    }
    expect(outputs.map((output) => output.shape[1])).toEqual([3, 3, 4]);
    expect(concat(outputs, 1)).toEqual(expected.output);
    expect(concat(states, 1)).toEqual(expected.hN);
  });

  it('runs the tf.layers twin with --impl layers, within tolerance of the hand-written one', async () => {
    const args = ['run', ...base, '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--input', join(MODEL, 'input.npy')];
    expect((await runCli([...args, '--impl', 'layers', '--output', join(dir, 'layers.npy')])).code).toBe(0);
    expect((await runCli([...args, '--output', join(dir, 'manual.npy')])).code).toBe(0);
    expect(compareArrays(await readNpy(join(dir, 'layers.npy')), await readNpy(join(dir, 'manual.npy')), FORWARD_TOLERANCE).ok).toBe(true);
  });

  it('reads .npz (stored and deflated) and .json inputs', async () => {
    const config = { inputSize: 3, hiddenSize: 5, numLayers: 1, bidirectional: true };
    const model = await writeModel(dir, config);
    const npz = join(FIXTURES, 'npz');
    const args = ['run', ...base, '--weights', model.weights, '--config', model.config];
    await runCli([...args, '--input', join(npz, 'input.npy'), '--h0', join(npz, 'h0.npy'), '--output', join(dir, 'npy.npy')]);
    const expected = await fs.readFile(join(dir, 'npy.npy'));
    for (const archive of ['stored.npz', 'compressed.npz']) {
      const path = join(npz, archive);
      const result = await runCli([...args, '--input', path, '--input-key', 'input', '--h0', path, '--h0-key', 'h0', '--output', join(dir, 'npz.npy')]);
      expect(result.code).toBe(0);
      expect(await fs.readFile(join(dir, 'npz.npy'))).toEqual(expected);
    }
    const input = await readNpy(join(npz, 'input.npy'));
    const jsonInput = join(dir, 'x.json');
    await fs.writeFile(jsonInput, JSON.stringify({ shape: input.shape, data: Array.from(input.data) }));
    await runCli([...args, '--input', jsonInput, '--h0', join(npz, 'h0.npy'), '--output', join(dir, 'json.npy')]);
    expect(await fs.readFile(join(dir, 'json.npy'))).toEqual(expected);
  });

  it('leaves no tensor behind: run (both implementations), check, convert and runs from a tfjs model', async () => {
    const model = ['--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json')];
    const sequences = [...base, '--input', join(MODEL, 'input.npy'), '--batch-size', '3'];
    const tfjs = join(dir, 'tfjs');
    const succeed = async (argv: string[]) => expect((await runCli(argv)).code).toBe(0);
    await succeed(['run', ...sequences, ...model, '--output', join(dir, 'warm.npy')]);
    const before = tf.memory().numTensors;
    for (const impl of ['manual', 'layers']) await succeed(['run', ...sequences, ...model, '--impl', impl, '--output', join(dir, `${impl}.npy`)]);
    await succeed(['check', ...sequences, ...model]);
    await succeed(['convert', ...model, '--to', 'tfjs', tfjs]);
    await succeed(['run', ...sequences, '--weights', join(tfjs, 'model.json'), '--output', join(dir, 'tfjs.npy')]);
    await succeed(['info', '--weights', join(tfjs, 'model.json')]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('progress and summary', () => {
  const args = () => ['run', '--workers', '1', '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--input', join(MODEL, 'input.npy'), '--output', join(dir, 'out.npy'), '--batch-size', '1'];

  it('draws a bar (sequences done, rate, ETA) on a TTY, cleared before the summary', async () => {
    const { stderr } = await runCli(args(), true);
    expect(stderr).toMatch(/^\r\[\.{24}\] 0\/4 seq  0 seq\/s  ETA --:--\x1b\[K/);
    expect(stderr).toContain('\r[########################] 4/4 seq');
    expect(stderr).toMatch(/\r\x1b\[K4 sequences in .*\n$/);
  });

  it('draws no bar off a terminal (a short run, within the first progress line, prints only the summary line), nor with --quiet', async () => {
    expect((await runCli(args())).stderr).toMatch(SUMMARY);
    expect((await runCli([...args(), '--quiet'], true)).stderr).toMatch(SUMMARY);
  });
});

describe('files', () => {
  it('writes through a temp file in the output directory and leaves only the outputs', async () => {
    const args = ['run', '--workers', '1', '--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--input', join(MODEL, 'input.npy')];
    await runCli([...args, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')]);
    expect(await listDir(dir)).toEqual(['hn.npy', 'out.npy']);
  });
});
