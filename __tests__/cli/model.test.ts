import { promises as fs } from 'fs';
import { execFileSync } from 'child_process';
import { join } from 'path';
import { initBackend } from '../../src/backend';
import { serializeNpy } from '../../src/formats';
import { modelFixturePath, readNpyFile } from '../helpers/modelFixtures';
import { cpuWithTempDir, expectArraysClose, readNpy, runCli } from './helpers';

/** `run --model` and `check --model`: whole models (fixtures/models, from real PyTorch) through chunks, workers and shards. */

const fixture = modelFixturePath;
const tempDir = cpuWithTempDir(initBackend);

/** The flags of a fixture: weights, spec, input and lengths when it has them. */
async function modelArgs(name: string): Promise<string[]> {
  const lengths = fixture(name, 'lengths.npy');
  const hasLengths = await fs.stat(lengths).then(() => true, () => false);
  const input = (await fs.stat(fixture(name, 'input.npy')).then(() => true, () => false)) ? 'input.npy' : 'prompt.npy';
  return ['--backend', 'cpu', '--weights', fixture(name, 'model.pt'), '--model', fixture(name, 'spec.json'), '--input', fixture(name, input), ...(hasLengths ? ['--lengths', lengths] : [])];
}

describe('run --model', () => {
  it.each([
    ['gru_classifier', ['--batch-size', '2', '--workers', '2']],
    ['dataparallel_checkpoint', ['--batch-size', '1']],
    ['rnn_regressor', ['--batch-size', '3', '--impl', 'layers']],
    ['lstm_tagger', ['--batch-size', '2', '--workers', '2']],
    ['gru_mean_mlp', ['--workers', '1']],
  ])('%s matches PyTorch (%s)', async (name, extra) => {
    const result = await runCli(['run', ...(await modelArgs(name)), ...extra, '--output', join(tempDir(), 'out.npy')]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(/sequences in/) });
    expectArraysClose(await readNpy(join(tempDir(), 'out.npy')), await readNpy(fixture(name, 'output.npy')), name);
  });

  it('shards put back together by merge give the whole output', async () => {
    const args = await modelArgs('gru_classifier');
    for (const shard of ['0/2', '1/2']) {
      const result = await runCli(['run', ...args, '--workers', '1', '--shard', shard, '--output', join(tempDir(), 'out.{shard}.npy')]);
      expect(result.code).toBe(0);
    }
    const pieces = (await fs.readdir(tempDir())).filter((file) => file.endsWith('.npy')).sort().map((file) => join(tempDir(), file));
    const merged = await runCli(['merge', ...pieces, '--output', join(tempDir(), 'merged.npy')]);
    expect(merged.code).toBe(0);
    expectArraysClose(await readNpy(join(tempDir(), 'merged.npy')), await readNpy(fixture('gru_classifier', 'output.npy')), 'merged');
  });

  it('check --model compares both implementations with PyTorch', async () => {
    const result = await runCli(['check', ...(await modelArgs('char_lm')), '--workers', '1', '--expected-output', fixture('char_lm', 'output.npy')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/check passed: 3 comparisons within tolerance/);
  });
});

describe('run --model refuses bad input before writing anything', () => {
  const refused = async (argv: string[], message: RegExp) => {
    const result = await runCli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await fs.readdir(tempDir())).toEqual([]);
  };

  it('an id outside the vocabulary, named by its position in the file', async () => {
    const { shape, values } = readNpyFile(fixture('gru_classifier', 'input.npy'));
    values[4 * 7 + 2] = 20;
    const input = join(tempDir(), 'ids.npy');
    await fs.writeFile(input, serializeNpy(shape, values, 'int64'));
    const args = (await modelArgs('gru_classifier')).map((arg) => (arg.endsWith('input.npy') ? input : arg));
    const result = await runCli(['run', ...args, '--batch-size', '2', '--output', join(tempDir(), 'out.npy')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ids\.npy: expected token ids in \[0, 20\) \(the Embedding's rows\), got 20 at \[4, 2\]/);
    expect(await fs.readdir(tempDir())).toEqual(['ids.npy']);
  });

  it('float features for an Embedding', async () => {
    const args = (await modelArgs('gru_classifier')).map((arg) => (arg.endsWith('input.npy') ? fixture('rnn_regressor', 'input.npy') : arg));
    await refused(['run', ...args, '--output', join(tempDir(), 'out.npy')], /rnn_regressor\/input\.npy: expected dtype int32 \('<i4'\) or int64 \('<i8'\), got '<f4'/);
  });

  it('a spec error names the file, the layer and its field', async () => {
    const spec = join(tempDir(), '..', `${tempDir().split('/').pop()}-spec.json`);
    await fs.writeFile(spec, JSON.stringify({ batch_first: true, layers: [{ type: 'Embedding', name: 'embedding' }, { type: 'GRU', name: 'gru', dropout: 2 }] }));
    try {
      const args = (await modelArgs('gru_classifier')).map((arg) => (arg.endsWith('spec.json') ? spec : arg));
      await refused(['run', ...args, '--output', join(tempDir(), 'out.npy')], /spec\.json: layers\[1\]\.dropout: expected a number in \[0, 1\], got 2 \(number\)/);
    } finally {
      await fs.rm(spec);
    }
  });

  it('--hn, --h0 and --config with --model', async () => {
    const args = await modelArgs('gru_classifier');
    await refused(['run', ...args, '--output', join(tempDir(), 'out.npy'), '--hn', join(tempDir(), 'hn.npy')], /--hn: expected nothing with --model \(a whole model returns its output alone\)/);
    await refused(['run', ...args, '--output', join(tempDir(), 'out.npy'), '--h0', fixture('gru_classifier', 'output.npy')], /--h0: expected nothing with --model/);
    await refused(['run', ...args, '--output', join(tempDir(), 'out.npy'), '--prefix', 'gru'], /--prefix: expected nothing with --model/);
  });

  it.each([
    ['a directory', async () => tempDir()],
    ['/dev/zero', async () => '/dev/zero'],
    ['a truncated spec', async () => {
      const path = join(tempDir(), '..', `${tempDir().split('/').pop()}-cut.json`);
      await fs.writeFile(path, (await fs.readFile(fixture('gru_classifier', 'spec.json'), 'utf8')).slice(0, 40));
      return path;
    }],
    ['a FIFO', async () => {
      const path = join(tempDir(), '..', `${tempDir().split('/').pop()}-fifo.json`);
      execFileSync('mkfifo', [path]);
      return path;
    }],
  ])('--model as %s', async (_title, make) => {
    const spec = await make();
    try {
      const args = (await modelArgs('gru_classifier')).map((arg) => (arg.endsWith('spec.json') ? spec : arg));
      await refused(['run', ...args, '--output', join(tempDir(), 'out.npy')], /tfjs-rnn run: /);
    } finally {
      if (spec !== tempDir() && spec !== '/dev/zero') await fs.rm(spec);
    }
  });
});
