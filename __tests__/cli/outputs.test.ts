import { execFileSync, spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import { basename, join } from 'path';
import { createArraySink } from '../../src/cli/outputFile';
import { commitAll, removeTempFiles } from '../../src/formats';
import { listDir, makeTempDir, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * What the CLI writes: every output through a temp file renamed at the end, all outputs or none,
 * no temp file left behind, and every failure to write (a full disk too) one line naming the file.
 */

/** The real `fs`, whose `writeSync` the output files call. */
const realFs: typeof import('fs') = jest.requireActual('fs');

let dir: string;
let weights: string;
let config: string;
let input: string;

beforeEach(async () => {
  dir = await makeTempDir();
  ({ weights, config } = await writeModel(dir, { inputSize: 3, hiddenSize: 4 }));
  input = await writeNpy(dir, 'x.npy', sequenceArray([5, 4, 3]));
});

afterEach(async () => {
  jest.restoreAllMocks();
  await removeTempDir(dir);
});

function path(name: string): string {
  return join(dir, name);
}

/** `run` on the model and input of `dir`, one worker, with `extra` flags. */
function run(...extra: string[]): string[] {
  return ['run', '--workers', '1', '--weights', weights, '--config', config, '--input', input, ...extra];
}

/** Runs `argv`, expecting exit 2, one line on stderr that is `message`, and the directory as it was. */
async function expectRefused(argv: string[], message: string | RegExp): Promise<void> {
  const before = await listDir(dir);
  const result = await runCli(argv);
  expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^[^\n]*\n$/) });
  expect(result.stderr.trimEnd()).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  expect(await listDir(dir)).toEqual(before);
}

/** Makes every write to a file fail as on a full disk (stdout and stderr still write). */
function fillDisk(): void {
  const writeSync = realFs.writeSync;
  jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
    if (fd > 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof realFs.writeSync);
}

describe('all outputs or none', () => {
  it('renames no output when another cannot be written', async () => {
    // A NaN in sequence 2 of x [5, 4, 3] makes h_n [1, 4, 4] NaN from element 2·4, which JSON
    // cannot hold: found only once output is complete.
    const values = sequenceArray([5, 4, 3]);
    values.data[2 * 3 + 1] = NaN;
    const nan = await writeNpy(dir, 'nan.npy', values);
    await expectRefused(
      ['run', '--workers', '1', '--weights', weights, '--config', config, '--input', nan, '--allow-nonfinite', '--output', path('out.npy'), '--hn', path('hn.json')],
      `tfjs-rnn run: ${path('hn.json')}: expected finite values (JSON has no NaN or Infinity: write .npy), got NaN at element 8`,
    );
  });

  it('renames neither output nor h_n when an LSTM\'s c_n cannot be written', async () => {
    const lstmDir = path('lstm');
    await fs.mkdir(lstmDir);
    const lstm = await writeModel(lstmDir, { mode: 'LSTM', inputSize: 3, hiddenSize: 4 });
    const values = sequenceArray([5, 4, 3]);
    values.data[2 * 3 + 1] = NaN;
    const nan = await writeNpy(lstmDir, 'nan.npy', values);
    const outputs = ['--output', path('out.npy'), '--hn', path('hn.npy'), '--cn', path('cn.json')];
    await expectRefused(
      ['run', '--workers', '1', '--weights', lstm.weights, '--config', lstm.config, '--input', nan, '--allow-nonfinite', ...outputs],
      `tfjs-rnn run: ${path('cn.json')}: expected finite values (JSON has no NaN or Infinity: write .npy), got NaN at element 8`,
    );
  });

  it('removes every temp file when interrupted during the final flush', async () => {
    const sink = createArraySink(path('out.npy'), [2, 3], 0);
    sink.writeRows(0, 2, new Float32Array(6));
    const committing = commitAll([sink]);
    removeTempFiles(); // What the CLI's SIGINT, SIGTERM and SIGHUP handlers do before exiting.
    expect(await listDir(dir)).toEqual(['config.json', 'weights.safetensors', 'x.npy']);
    await expect(committing).rejects.toThrow(/out\.npy: expected a writable file path, got ENOENT/);
  });
});

describe('a full disk', () => {
  it.each([
    ['run --output .npy', (out: string) => run('--output', out), 'out.npy'],
    ['run --output .json', (out: string) => run('--output', out), 'out.json'],
    ['convert --to safetensors', (out: string) => ['convert', '--weights', weights, '--config', config, '--to', 'safetensors', out], 'w.safetensors'],
    ['convert --to json', (out: string) => ['convert', '--weights', weights, '--config', config, '--to', 'json', out], 'w.json'],
  ])('%s: exit 2 naming the file, nothing left', async (_, argv, name) => {
    fillDisk();
    await expectRefused(argv(path(name)), new RegExp(`^tfjs-rnn \\w+: ${path(name)}: expected a writable file path, got ENOSPC: no space left on device$`));
  });

  it('convert --to tfjs: exit 2 naming the file, nothing left, not even the directories it made', async () => {
    fillDisk();
    await expectRefused(
      ['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('made/tfjs')],
      `tfjs-rnn convert: ${path('made/tfjs/weights.bin')}: expected a writable file path, got ENOSPC: no space left on device`,
    );
  });
});

describe('temp files of a killed run', () => {
  it('are removed by the next run writing the same output, when their process is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    const stale = [`.out.npy.${gone}.0123456789ab.tmp`, `.out.npy.${gone}.ba9876543210.tmp`];
    const kept = [`.out.npy.${process.pid}.0123456789ab.tmp`, `.other.npy.${gone}.0123456789ab.tmp`];
    await Promise.all([...stale, ...kept].map((name) => fs.writeFile(path(name), 'partial')));
    expect((await runCli(run('--output', path('out.npy')))).code).toBe(0);
    expect(await listDir(dir)).toEqual([...kept, 'config.json', 'out.npy', 'weights.safetensors', 'x.npy'].sort());
  });
});

describe('output paths, checked before any work', () => {
  it.each([
    ['the same path', () => input],
    ['the same path spelled differently', () => `${dir}/./../${basename(dir)}//x.npy`],
    ['a symbolic link to it', async () => (await fs.symlink(input, path('link.npy')), path('link.npy'))],
    ['a hard link to it', async () => (await fs.link(input, path('hard.npy')), path('hard.npy'))],
  ])('refuses an --output that is --input: %s', async (_, output) => {
    const out = await output();
    const bytes = await fs.readFile(input);
    await expectRefused(run('--output', out), `tfjs-rnn run: --output ${out}: expected a file that is not an input, got the same file as --input ${input}`);
    expect(await fs.readFile(input)).toEqual(bytes);
  });

  it('refuses an --output or --hn that is any other input', async () => {
    const h0 = await writeNpy(dir, 'h0.npy', sequenceArray([1, 4, 4]));
    const lengths = path('lengths.json');
    await fs.writeFile(lengths, '[5, 4, 3, 2]');
    await expectRefused(run('--output', path('out.npy'), '--h0', h0, '--hn', h0), `tfjs-rnn run: --hn ${h0}: expected a file that is not an input, got the same file as --h0 ${h0}`);
    await expectRefused(run('--output', lengths, '--lengths', lengths), `tfjs-rnn run: --output ${lengths}: expected a file that is not an input, got the same file as --lengths ${lengths}`);
    await expectRefused(run('--output', config), `tfjs-rnn run: --output ${config}: expected a file that is not an input, got the same file as --config ${config}`);
  });

  it('refuses two outputs that are one file', async () => {
    const out = path('out.npy');
    await expectRefused(run('--output', out, '--hn', `${dir}/./out.npy`), `tfjs-rnn run: --hn ${dir}/./out.npy: expected a file that is not another output, got the same file as --output ${out}`);
    await fs.writeFile(out, 'old');
    await fs.symlink(out, path('link.npy'));
    await expectRefused(run('--output', out, '--hn', path('link.npy')), `tfjs-rnn run: --hn ${path('link.npy')}: expected a file that is not another output, got the same file as --output ${out}`);
    expect(await fs.readFile(out, 'utf8')).toBe('old');
  });

  it('refuses a directory, a FIFO, a path ending in / and a missing directory, before writing any output', async () => {
    await fs.mkdir(path('hn.npy'));
    await expectRefused(run('--output', path('out.npy'), '--hn', path('hn.npy')), `tfjs-rnn run: --hn ${path('hn.npy')}: expected a regular file or a new name, got a directory`);
    execFileSync('mkfifo', [path('fifo.npy')]);
    await expectRefused(run('--output', path('fifo.npy')), `tfjs-rnn run: --output ${path('fifo.npy')}: expected a regular file or a new name, got a FIFO`);
    await expectRefused(run('--output', `${path('out.npy')}/`), `tfjs-rnn run: --output ${path('out.npy')}/: expected a file path, got a directory path`);
    await expectRefused(run('--output', path('absent/out.npy')), `tfjs-rnn run: --output ${path('absent/out.npy')}: expected a path in an existing directory, got no directory ${path('absent')}`);
    await expectRefused(run('--output', join(input, 'out.npy')), `tfjs-rnn run: --output ${join(input, 'out.npy')}: expected a path in an existing directory, got ${input}, a file`);
  });

  it('refuses a convert OUT that is an input', async () => {
    await expectRefused(['convert', '--weights', weights, '--config', config, '--to', 'safetensors', `${dir}/./weights.safetensors`], `tfjs-rnn convert: OUT ${dir}/./weights.safetensors: expected a file that is not an input, got the same file as --weights ${weights}`);
    await expectRefused(['convert', '--weights', weights, '--config', config, '--to', 'json', config], `tfjs-rnn convert: OUT ${config}: expected a file that is not an input, got the same file as --config ${config}`);
    expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('tfjs')])).code).toBe(0);
    const model = path('tfjs/model.json');
    await expectRefused(['convert', '--weights', model, '--to', 'tfjs', path('tfjs')], `tfjs-rnn convert: OUT ${model}: expected a file that is not an input, got the same file as --weights ${model}`);
    // Another model.json beside it would write over the weights file the input's manifest names.
    const other = path('tfjs/other.json');
    const weightsBin = path('tfjs/weights.bin');
    await expectRefused(['convert', '--weights', model, '--to', 'tfjs', other], `tfjs-rnn convert: OUT ${weightsBin}: expected a file that is not an input, got the same file as --weights ${weightsBin}`);
  });

  it('convert --to tfjs: refuses an OUT that is a file, and makes missing directories one at a time', async () => {
    await expectRefused(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', input], `tfjs-rnn convert: OUT ${input}/model.json: expected a path in a directory (made if missing), got ${input}, a file`);
    await expectRefused(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', '/proc/tfjs-rnn/model'], 'tfjs-rnn convert: /proc/tfjs-rnn: expected a directory that can be made, got ENOENT: no such file or directory');
    await expectRefused(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', '/sys/tfjs-rnn'], /^tfjs-rnn convert: \/sys\/tfjs-rnn: expected a directory that can be made, got E[A-Z]+: /);
    expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('a/b/c')])).code).toBe(0);
    expect(await listDir(path('a/b/c'))).toEqual(['model.json', 'weights.bin']);
  });
});
