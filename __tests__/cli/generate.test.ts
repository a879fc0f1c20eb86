import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { ManualWholeModel, generate, initBackend, loadStateDict } from '../../src';
import { serializeNpy } from '../../src/formats';
import { MODEL_FIXTURE_ROOT, npyTensor, readNpyFile } from '../helpers/modelFixtures';
import { listDir, makeTempDir, removeTempDir, runCli } from './helpers';

/**
 * `tfjs-rnn generate` on `fixtures/models/char_lm` (scripts/make_model_fixtures.py): PyTorch's
 * greedy continuation of two prompts, `generated.npy` [2, 20] int64.
 */

const fixture = (file: string) => join(MODEL_FIXTURE_ROOT, 'char_lm', file);
let dir: string;
let generated: { shape: number[]; values: number[] };

beforeAll(async () => {
  await initBackend('cpu');
  const file = readNpyFile(fixture('generated.npy'));
  generated = { shape: file.shape, values: Array.from(file.values) };
});
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

function args(extra: string[] = [], prompt = fixture('prompt.npy')): string[] {
  return ['generate', '--backend', 'cpu', '--weights', fixture('model.pt'), '--model', fixture('spec.json'), '--prompt', prompt, '--output', join(dir, 'ids.npy'), ...extra];
}

/** The ids the command wrote: int64 .npy. */
function written(path = join(dir, 'ids.npy')): { dtype: string; shape: number[]; values: number[] } {
  const file = readNpyFile(path);
  return { dtype: file.dtype, shape: file.shape, values: Array.from(file.values) };
}

async function refused(argv: string[], message: RegExp): Promise<void> {
  const result = await runCli(argv);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  // Neither the output nor a temp file of it.
  expect((await listDir(dir)).filter((file) => file.includes('ids'))).toEqual([]);
}

describe('generate', () => {
  it("greedy: PyTorch's continuation of both prompts, int64 [2, 20]", async () => {
    const result = await runCli(args(['--steps', '20']));
    expect(result).toEqual({ code: 0, stdout: '', stderr: expect.stringMatching(/^2 prompts × 20 tokens in .* s \(\d+ tokens\/s\) -> .*ids\.npy \[2, 20\] int64\n$/) });
    expect(written()).toEqual({ dtype: 'int64', ...generated });
  });

  it('a prompt [P] gives [1, N]: the first row of the batch; int32 prompts too', async () => {
    const row = readNpyFile(fixture('prompt.npy'));
    const length = row.shape[1];
    const single = join(dir, 'one.npy');
    await fs.writeFile(single, serializeNpy([length], Array.from(row.values.subarray(0, length)), 'int32'));
    expect((await runCli(args(['--steps', '20'], single))).code).toBe(0);
    expect(written()).toEqual({ dtype: 'int64', shape: [1, 20], values: generated.values.slice(0, 20) });
  });

  it('top-k 1 is greedy; a temperature near 0 is greedy; temperature 0 is greedy', async () => {
    expect((await runCli(args(['--steps', '20', '--temperature', '0', '--seed', '3']))).code).toBe(0);
    expect(written().values).toEqual(generated.values);
    expect((await runCli(args(['--steps', '20', '--top-k', '1', '--temperature', '2', '--seed', '9']))).code).toBe(0);
    expect(written().values).toEqual(generated.values);
    expect((await runCli(args(['--steps', '20', '--temperature', '0.001']))).code).toBe(0);
    expect(written().values).toEqual(generated.values);
  });

  it('seeded sampling is repeatable, another seed gives other tokens, and the library gives the same', async () => {
    const sample = async (seed: string) => {
      expect((await runCli(args(['--steps', '20', '--temperature', '2', '--seed', seed]))).code).toBe(0);
      return written().values;
    };
    const first = await sample('42');
    expect(await sample('42')).toEqual(first);
    expect(await sample('43')).not.toEqual(first);
    expect(first).not.toEqual(generated.values);
    const model = new ManualWholeModel(JSON.parse(await fs.readFile(fixture('spec.json'), 'utf8')), await loadStateDict(fixture('model.pt'), { prefix: '' }));
    const prompt = npyTensor(fixture('prompt.npy'));
    const library = generate(model, prompt, { steps: 20, temperature: 2, seed: 42 });
    expect(Array.from(library.dataSync())).toEqual(first);
    tf.dispose([prompt, library]);
    model.dispose();
  });

  it('--stop-id: each row repeats it after its first one', async () => {
    const stopId = generated.values[4];
    expect((await runCli(args(['--steps', '20', '--stop-id', String(stopId)]))).code).toBe(0);
    const rows = [written().values.slice(0, 20), written().values.slice(20)];
    rows.forEach((row, n) => {
      const expected = generated.values.slice(n * 20, (n + 1) * 20);
      const first = expected.indexOf(stopId);
      expect(row).toEqual(first < 0 ? expected : [...expected.slice(0, first + 1), ...new Array(19 - first).fill(stopId)]);
    });
  });

  it('--help lists every flag', async () => {
    const { code, stdout } = await runCli(['generate', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--weights', '--weights-key', '--model', '--prompt', '--steps', '--output', '--temperature', '--top-k', '--seed', '--stop-id', '--backend']) expect(stdout).toContain(flag);
    expect((await runCli(['--help'])).stdout).toMatch(/generate +continue prompts/);
  });
});

describe('generate refuses, naming the flag or file, and writes nothing', () => {
  it.each([
    [['--steps', '0'], /--steps: expected a positive integer .*got 0/],
    [['--steps', 'ten'], /--steps: expected a number, got 'ten'/],
    [['--steps', '3', '--temperature', '-0.5'], /--temperature: expected a finite number ≥ 0 \(0: greedy\), got -0.5/],
    [['--steps', '3', '--top-k', '13'], /--top-k: expected an integer in \[0, 12\]/],
    [['--steps', '3', '--top-k', '-1'], /--top-k: expected an integer in \[0, 12\]/],
    [['--steps', '3', '--temperature', '1', '--seed', '1.5'], /--seed: expected an integer in \[0, 2\^53\)/],
    [['--steps', '3', '--stop-id', '-1'], /--stop-id: expected a token id in \[0, 12\), got -1/],
    [['--steps', '3', '--topk', '2'], /--topk/],
    [[], /--steps/],
  ])('%j', async (extra, message) => {
    await refused(args(extra), message);
  });

  it('ids outside [0, V) named by their position in the file', async () => {
    const bad = join(dir, 'bad.npy');
    await fs.writeFile(bad, serializeNpy([2, 3], [1, 2, 3, 4, 12, 5], 'int64'));
    await refused(args(['--steps', '2'], bad), /bad\.npy\[1, 1\]: expected a token id in \[0, 12\).*got 12/);
    await fs.writeFile(bad, serializeNpy([2, 3], [1, 2, 3, 4, 5, 6], 'float32'));
    await refused(args(['--steps', '2'], bad), /bad\.npy/);
    const json = join(dir, 'prompt.json');
    await fs.writeFile(json, JSON.stringify([[1, 2], [3, 12]]));
    await refused(args(['--steps', '2'], json), /prompt\.json\[1, 1\]: expected a token id in \[0, 12\).*got 12/);
    await fs.writeFile(json, JSON.stringify([[1, 2.5]]));
    await refused(args(['--steps', '2'], json), /prompt\.json\[0, 1\]: expected a token id in \[0, 12\).*got 2\.5/);
    await fs.writeFile(bad, serializeNpy([1, 2, 1], [1, 2], 'int64'));
    await refused(args(['--steps', '2'], bad), /bad\.npy: expected token ids \[P\] or \[N, P\].*got \[1, 2, 1\]/);
  });

  it('a spec that is not a language model names the spec file and why', async () => {
    const spec = join(dir, 'spec.json');
    await fs.writeFile(spec, JSON.stringify({ batch_first: true, layers: [{ type: 'Embedding', name: 'embedding' }, { type: 'LSTM', name: 'lstm' }, { type: 'Last' }, { type: 'Linear', name: 'fc' }] }));
    await refused([...args(['--steps', '2']).map((arg) => (arg === fixture('spec.json') ? spec : arg))], /spec\.json: layers\[2\]\.type: expected no selection/);
  });

  it.each([
    ['a directory', async () => dir],
    ['/dev/zero', async () => '/dev/zero'],
    ['a truncated copy', async () => {
      const path = join(dir, 'cut.npy');
      await fs.writeFile(path, (await fs.readFile(fixture('prompt.npy'))).subarray(0, 100));
      return path;
    }],
    ['a FIFO', async () => {
      const path = join(dir, 'fifo.npy');
      execFileSync('mkfifo', [path]);
      return path;
    }],
  ])('--prompt as %s', async (_title, make) => {
    await refused(args(['--steps', '2'], await make()), /tfjs-rnn generate: /);
  });

  it.each([
    ['--model', 'a directory'],
    ['--model', '/dev/zero'],
    ['--model', 'a symbolic link to a directory'],
    ['--weights', 'a truncated copy'],
    ['--weights', 'a directory'],
  ])('%s as %s', async (flag, kind) => {
    let path = kind === '/dev/zero' ? '/dev/zero' : dir;
    if (kind === 'a truncated copy') {
      path = join(dir, 'cut.pt');
      await fs.writeFile(path, (await fs.readFile(fixture('model.pt'))).subarray(0, 700));
    } else if (kind === 'a symbolic link to a directory') {
      path = join(dir, 'link.json');
      await fs.symlink(dir, path);
    }
    const current = flag === '--model' ? fixture('spec.json') : fixture('model.pt');
    await refused(args(['--steps', '2']).map((arg) => (arg === current ? path : arg)), /^tfjs-rnn generate: /);
  });

  it('--output equal to an input, or not .npy', async () => {
    const withOutput = (path: string) => args(['--steps', '2']).map((arg) => (arg === join(dir, 'ids.npy') ? path : arg));
    await refused(withOutput(fixture('prompt.npy')), /--output/);
    await refused(withOutput(join(dir, 'ids.json')), /ids\.json/);
    expect(written(fixture('prompt.npy')).shape).toEqual([2, 5]);
  });
});
