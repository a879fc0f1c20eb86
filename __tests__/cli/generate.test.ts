import { promises as fs } from 'fs';
import { join } from 'path';
import { initBackend } from '../../src/backend';
import { modelFixturePath, readNpyFile } from '../helpers/modelFixtures';
import { cpuWithTempDir, runCli } from './helpers';

/** `tfjs-rnn generate`: PyTorch's greedy continuation (fixtures/models/char_lm), token for token. */

const fixture = (file: string) => modelFixturePath('char_lm', file);
const BASE = ['generate', '--backend', 'cpu', '--weights', fixture('model.pt'), '--model', fixture('spec.json'), '--prompt', fixture('prompt.npy')];
const tempDir = cpuWithTempDir(initBackend);

describe('generate', () => {
  it('writes the greedy continuation as int64 [batch, steps], PyTorch\'s tokens', async () => {
    const out = join(tempDir(), 'tokens.npy');
    const result = await runCli([...BASE, '--steps', '20', '--output', out]);
    expect(result).toEqual({ code: 0, stdout: '', stderr: `2 prompts, 20 new tokens each -> ${out}\n` });
    const written = readNpyFile(out);
    const expected = readNpyFile(fixture('generated.npy'));
    expect([written.dtype, written.shape]).toEqual(['int64', [2, 20]]);
    expect(Array.from(written.values)).toEqual(Array.from(expected.values));
  });

  it('samples the same tokens for the same seed', async () => {
    const runs = [];
    for (const name of ['a.npy', 'b.npy']) {
      const result = await runCli([...BASE, '--steps', '12', '--temperature', '1.2', '--top-k', '5', '--seed', '42', '--output', join(tempDir(), name)]);
      expect(result.code).toBe(0);
      runs.push(Array.from(readNpyFile(join(tempDir(), name)).values));
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it.each([
    [['--steps', '0'], /--steps: expected a positive integer/],
    [['--steps', '5', '--top-k', '-1'], /--top-k: expected a non-negative integer, got '-1'/],
    [['--steps', '5', '--top-k', '99'], /topK: expected an integer in \[0, 12\], got 99/],
  ])('refuses %j, writing nothing', async (flags, message) => {
    const result = await runCli([...BASE, ...flags, '--output', join(tempDir(), 'out.npy')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await fs.readdir(tempDir())).toEqual([]);
  });

  it('an id outside the vocabulary names its position in the prompt file', async () => {
    const prompt = join(tempDir(), 'prompt.json');
    await fs.writeFile(prompt, JSON.stringify([[1, 2, 3], [4, 12, 5]]));
    const args = BASE.map((arg) => (arg === fixture('prompt.npy') ? prompt : arg));
    const result = await runCli([...args, '--steps', '3', '--output', join(tempDir(), 'out.npy')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/prompt\.json: prompt\[1, 1\]: expected a token id in \[0, 12\).*, got 12/);
    expect(await fs.readdir(tempDir())).toEqual(['prompt.json']);
  });

  it('refuses an output over an input', async () => {
    const copy = join(tempDir(), 'prompt.npy');
    await fs.copyFile(fixture('prompt.npy'), copy);
    const args = BASE.map((arg) => (arg === fixture('prompt.npy') ? copy : arg));
    const result = await runCli([...args, '--steps', '3', '--output', copy]);
    expect(result.code).toBe(2);
    expect(Array.from(readNpyFile(copy).values)).toEqual(Array.from(readNpyFile(fixture('prompt.npy')).values));
  });

  it.each([
    ['--prompt', 'a directory'],
    ['--prompt', '/dev/zero'],
    ['--model', 'a directory'],
    ['--model', '/dev/zero'],
    ['--weights', 'a truncated copy'],
  ])('refuses %s as %s, writing nothing', async (flag, kind) => {
    let path = kind === 'a directory' ? tempDir() : '/dev/zero';
    if (kind === 'a truncated copy') {
      path = join(tempDir(), 'cut.pt');
      await fs.writeFile(path, (await fs.readFile(fixture('model.pt'))).subarray(0, 700));
    }
    const current = { '--prompt': fixture('prompt.npy'), '--model': fixture('spec.json'), '--weights': fixture('model.pt') }[flag];
    const args = BASE.map((arg) => (arg === current ? path : arg));
    const before = await fs.readdir(tempDir());
    const result = await runCli([...args, '--steps', '3', '--output', join(tempDir(), 'out.npy')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^tfjs-rnn generate: /);
    expect(await fs.readdir(tempDir())).toEqual(before);
  });
});
