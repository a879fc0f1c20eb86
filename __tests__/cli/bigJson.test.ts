import { promises as fs } from 'fs';
import { join } from 'path';
import { makeTempDir, readNpy, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * JSON outputs are never built as one string: with strings capped at 1 MiB (V8's cap is 512 MiB,
 * which a [100, 2600, 64] output or a 235 MB .pt crosses), run --output .json and convert --to
 * json still write every byte, the same bytes as JSON.stringify of the whole.
 */

/** The real `JSON.stringify`, as the tests compare with it. */
const stringify = JSON.stringify.bind(JSON);
const STRING_CAP = 2 ** 20;

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
  jest.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, ...rest: unknown[]) => {
    const text = (stringify as (...args: unknown[]) => string)(value, ...rest);
    if (text !== undefined && text.length > STRING_CAP) throw new RangeError('Invalid string length');
    return text;
  }) as typeof JSON.stringify);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await removeTempDir(dir);
});

it('run --output .json of about 3 MB with 1 MiB strings: every byte, as --output .npy holds the values', async () => {
  const model = await writeModel(dir, { mode: 'GRU', inputSize: 3, hiddenSize: 64 });
  const input = await writeNpy(dir, 'x.npy', sequenceArray([20, 200, 3]));
  const run = (out: string) => runCli(['run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, out)]);
  expect((await run('o.npy')).code).toBe(0);
  expect(await run('o.json')).toEqual({ code: 0, stdout: '', stderr: expect.any(String) });
  const { shape, data } = await readNpy(join(dir, 'o.npy'));
  const nested = Array.from({ length: shape[0] }, (_, t) => Array.from({ length: shape[1] }, (_, n) => Array.from(data.subarray((t * shape[1] + n) * shape[2], (t * shape[1] + n + 1) * shape[2]))));
  const text = await fs.readFile(join(dir, 'o.json'), 'utf8');
  expect(text.length).toBeGreaterThan(2 * STRING_CAP);
  expect(text === stringify(nested)).toBe(true);
});

it('convert --to json of weights whose JSON is about 2 MB with 1 MiB strings', async () => {
  const model = await writeModel(dir, { mode: 'LSTM', inputSize: 64, hiddenSize: 128 });
  expect(await runCli(['convert', '--weights', model.weights, '--config', model.config, '--to', 'json', join(dir, 'w.json')])).toEqual({ code: 0, stdout: expect.any(String), stderr: '' });
  const text = await fs.readFile(join(dir, 'w.json'), 'utf8');
  expect(text.length).toBeGreaterThan(STRING_CAP);
  jest.restoreAllMocks();
  // Read back, it gives the safetensors a direct conversion gives: every value, and the recorded config.
  const [back, direct] = [join(dir, 'back.safetensors'), join(dir, 'direct.safetensors')];
  expect((await runCli(['convert', '--weights', join(dir, 'w.json'), '--to', 'safetensors', back])).code).toBe(0);
  expect((await runCli(['convert', '--weights', model.weights, '--config', model.config, '--to', 'safetensors', direct])).code).toBe(0);
  expect((await fs.readFile(back)).equals(await fs.readFile(direct))).toBe(true);
});
