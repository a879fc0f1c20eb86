import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { existsSync, readdirSync, statSync, promises as fs } from 'fs';
import { join } from 'path';
import { listDir, makeTempDir, removeTempDir, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * The real command: `node dist/cli/main.js` (and `npx tfjs-rnn`) after `npm run build`, in
 * child processes, for what only a process shows: worker threads, exit codes, signals.
 */

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

let dir: string;
let model: { weights: string; config: string };
let input: string;

/** Runs `node dist/cli/main.js ...args` to the end. */
function runNode(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr += data));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Runs `npm run build` unless dist/ is newer than every source (as right after `npm test`'s
 * own build), so that suites reading dist/ in parallel never see it rewritten.
 */
function buildOnce(): void {
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  const newestSource = Math.max(...sources.map((name) => statSync(join(ROOT, 'src', name)).mtimeMs));
  if (!existsSync(MAIN) || statSync(MAIN).mtimeMs < newestSource) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

beforeAll(async () => {
  buildOnce();
  dir = await makeTempDir();
  model = await writeModel(dir, { inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, batchFirst: true });
  input = await writeNpy(dir, 'x.npy', sequenceArray([64, 20, 8]));
}, 120_000);

afterAll(async () => {
  await removeTempDir(dir);
});

describe('node dist/cli/main.js', () => {
  it('starts with a shebang and is executable, so that the bin runs', async () => {
    expect((await fs.readFile(MAIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(MAIN).mode & 0o111).toBe(0o111);
  });

  it('gives the same bytes with 1 and 2 workers, whatever the chunk size', async () => {
    const run = (name: string, workers: string, batchSize: string) =>
      runNode(['run', '--backend', 'wasm', '--weights', model.weights, '--config', model.config, '--input', input, '--output', `${name}.npy`, '--hn', `${name}-hn.npy`, '--workers', workers, '--batch-size', batchSize]);
    const [one, two] = [await run('one', '1', '8'), await run('two', '2', '5')];
    expect(one).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^64 sequences in .* backend wasm, 1 worker\n$/) });
    expect(two).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^64 sequences in .* backend wasm, 2 workers\n$/) });
    const bytes = (name: string) => fs.readFile(join(dir, name));
    expect(await bytes('two.npy')).toEqual(await bytes('one.npy'));
    expect(await bytes('two-hn.npy')).toEqual(await bytes('one-hn.npy'));
  });

  it('exits 2 with one line on bad input, and 0 with the usage on --help', async () => {
    const bad = await runNode(['run', '--weights', model.weights, '--config', model.config, '--input', 'missing.npy', '--output', 'out.npy']);
    expect(bad).toEqual({ code: 2, signal: null, stdout: '', stderr: 'tfjs-rnn run: missing.npy: expected a readable file, got no such file\n' });
    const help = await runNode(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tfjs-rnn <command>/);
  });

  it('leaves no output and no temp file when interrupted', async () => {
    const big = await writeNpy(dir, 'big.npy', sequenceArray([3000, 20, 8]));
    const before = await listDir(dir);
    const child: ChildProcess = spawn(process.execPath, [MAIN, 'run', '--workers', '1', '--batch-size', '1', '--weights', model.weights, '--config', model.config, '--input', big, '--output', 'big-out.npy'], { cwd: dir });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const started = Date.now();
    while (!(await listDir(dir)).some((name) => name.endsWith('.tmp')) && Date.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await listDir(dir)).toEqual(before);
  });
});

describe('files that never end', () => {
  /** Runs `node dist/cli/main.js ...args`, killed if still running after 20 s (a read that never ends). */
  function runKilledAfter20s(args: string[]): { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
    const { status, signal, stdout, stderr } = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, timeout: 20_000, killSignal: 'SIGKILL', encoding: 'utf8' });
    return { code: status, signal, stdout, stderr };
  }

  it('refuses /dev/zero as --config at once, in bounded memory', () => {
    const result = runKilledAfter20s(['run', '--weights', model.weights, '--config', '/dev/zero', '--input', input, '--output', 'zero.npy']);
    expect(result).toEqual({ code: 2, signal: null, stdout: '', stderr: 'tfjs-rnn run: /dev/zero: expected a regular file, got a character device\n' });
    expect(existsSync(join(dir, 'zero.npy'))).toBe(false);
  });

  it.each([
    ['config', 'fifo.json'],
    ['input', 'fifo.npy'],
  ])('refuses a FIFO with no writer as --%s instead of waiting for one', (flag, name) => {
    execFileSync('mkfifo', [join(dir, name)]);
    const args = { weights: model.weights, config: model.config, input, output: 'fifo-out.npy', [flag]: name };
    const result = runKilledAfter20s(['run', ...Object.entries(args).flatMap(([key, value]) => [`--${key}`, value])]);
    expect(result).toEqual({ code: 2, signal: null, stdout: '', stderr: `tfjs-rnn run: ${name}: expected a regular file, got a FIFO (named pipe)\n` });
    expect(existsSync(join(dir, 'fifo-out.npy'))).toBe(false);
  });
});

describe('npx tfjs-rnn', () => {
  it('runs the package bin from the clone', () => {
    const stdout = execFileSync('npx', ['--no-install', 'tfjs-rnn', 'info', '--weights', model.weights, '--backend', 'cpu'], { cwd: ROOT, encoding: 'utf8' });
    expect(stdout).toMatch(/^weights: .*weights\.safetensors \(safetensors\)\ninferred from the weights: input_size=8, hidden_size=16, num_layers=2, bidirectional=True, bias=True\n/);
    expect(existsSync(MAIN)).toBe(true);
  });
});
