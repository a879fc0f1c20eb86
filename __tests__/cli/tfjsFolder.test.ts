import { promises as fs } from 'fs';
import { join } from 'path';
import { listDir, makeTempDir, removeTempDir, runCli, writeModel } from './helpers';

/**
 * A tfjs model folder is read only inside itself: weight files are found by their real paths
 * (links resolved), and one that leads outside the folder is refused; a model.json that is not
 * one says what it lacks.
 */

let dir: string;
let model: string;
let original: string;

beforeAll(async () => {
  dir = await makeTempDir();
  const { weights, config } = await writeModel(dir, { inputSize: 3, hiddenSize: 4 });
  expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', join(dir, 'm')])).code).toBe(0);
  model = join(dir, 'm', 'model.json');
  original = await fs.readFile(model, 'utf8');
});

afterAll(async () => {
  await removeTempDir(dir);
});

/** `convert` of the model to safetensors at `out`. */
function convert(modelPath: string, out = join(dir, 'back.safetensors')): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(['convert', '--weights', modelPath, '--to', 'safetensors', out]);
}

describe('a weights.bin that is a symbolic link', () => {
  afterEach(async () => {
    await fs.rm(join(dir, 'm', 'weights.bin'));
    await fs.rename(join(dir, 'real.bin'), join(dir, 'm', 'weights.bin'));
    await fs.rm(join(dir, 'back.safetensors'), { force: true });
    await fs.rm(join(dir, 'm', 'data'), { recursive: true, force: true });
  });

  it('to a file outside the folder, of the right size, is refused: its bytes are not read', async () => {
    await fs.rename(join(dir, 'm', 'weights.bin'), join(dir, 'real.bin'));
    await fs.symlink(join(dir, 'real.bin'), join(dir, 'm', 'weights.bin'));
    const before = await listDir(dir);
    expect(await convert(model)).toEqual({
      code: 2,
      stdout: '',
      stderr: `tfjs-rnn convert: ${model}: weightsManifest: expected weight files inside the model's folder, got "weights.bin", a link to ${join(dir, 'real.bin')}, outside ${join(dir, 'm')}\n`,
    });
    expect(await listDir(dir)).toEqual(before);
  });

  it('through a relative link out of the folder, the same', async () => {
    await fs.rename(join(dir, 'm', 'weights.bin'), join(dir, 'real.bin'));
    await fs.symlink('../real.bin', join(dir, 'm', 'weights.bin'));
    expect((await convert(model)).stderr).toMatch(/expected weight files inside the model's folder, got "weights.bin", a link to .*real\.bin, outside/);
  });

  it('to a file inside the folder is read', async () => {
    await fs.mkdir(join(dir, 'm', 'data'));
    await fs.copyFile(join(dir, 'm', 'weights.bin'), join(dir, 'm', 'data', 'w.bin'));
    await fs.rename(join(dir, 'm', 'weights.bin'), join(dir, 'real.bin'));
    await fs.symlink('data/w.bin', join(dir, 'm', 'weights.bin'));
    expect((await convert(model)).code).toBe(0);
  });
});

it('a model folder that is itself a link is read from where it leads', async () => {
  await fs.symlink(join(dir, 'm'), join(dir, 'linked'));
  expect((await convert(join(dir, 'linked', 'model.json'))).code).toBe(0);
  await fs.rm(join(dir, 'linked'));
  await fs.rm(join(dir, 'back.safetensors'));
});

describe('a model.json that is not one says what it lacks', () => {
  afterEach(async () => {
    await fs.writeFile(model, original);
  });

  it.each<[string, (json: Record<string, unknown>) => void, string]>([
    ['no modelTopology', (json) => delete json.modelTopology, 'expected a tfjs model.json: an object with modelTopology and weightsManifest, got modelTopology missing'],
    ['modelTopology a list', (json) => (json.modelTopology = []), 'expected a tfjs model.json: an object with modelTopology and weightsManifest, got modelTopology not an object'],
    ['no weightsManifest', (json) => delete json.weightsManifest, 'expected a tfjs model.json: an object with modelTopology and weightsManifest, got weightsManifest missing'],
    [
      'empty paths',
      (json) => ((json.weightsManifest as Array<{ paths: string[] }>)[0].paths = []),
      'weightsManifest[0]: expected the weight files of its weights in paths, got "paths": [] for 3 weights', // SimpleRNN's kernel, recurrent kernel and bias
    ],
  ])('%s', async (_, edit, message) => {
    const json = JSON.parse(original);
    edit(json);
    await fs.writeFile(model, JSON.stringify(json));
    expect(await convert(model)).toEqual({ code: 2, stdout: '', stderr: `tfjs-rnn convert: ${model}: ${message}\n` });
  });
});
