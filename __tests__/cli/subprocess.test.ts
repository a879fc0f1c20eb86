import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { existsSync, statSync, promises as fs } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import { initBackend } from '../../src/backend';
import { ChunkOutputs, createChunkRunner } from '../../src/cli/chunkRunner';
import { ModelSpec } from '../../src/cli/modelFile';
import { WorkerSetup } from '../../src/cli/workers';
import { WORKER_MARKER } from '../../src/cli/workerThreads';
import { modelFixturePath } from '../helpers/modelFixtures';
import { checkConfig } from '../../src/config';
import { toHostArrays } from '../../src/formats';
import { StepLoop, createManualModel } from '../../src/manual';
import { MAIN, ROOT, SCHEDULER_VARIABLES, buildOnce, listDir, makeTempDir, removeTempDir, sequenceArray, writeJson, writeModel, writeNpy } from './helpers';

/**
 * The real command: `node dist/cli/main.js` (and `npx tfjs-rnn`) after `npm run build`, in
 * child processes, for what only a process shows: worker threads, exit codes, signals.
 */


let dir: string;
let model: { weights: string; config: string };
let input: string;
/** 3000 sequences: long enough a run to interrupt. */
let big: string;

/**
 * Runs `node dist/cli/main.js ...args` to the end; `closedStdout`: as `| true`, nothing reads its
 * stdout; `scheduler`: the only scheduler variables in its environment.
 */
function runNode(
  args: string[],
  closedStdout = false,
  scheduler: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  SCHEDULER_VARIABLES.forEach((name) => delete env[name]);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, env: { ...env, ...scheduler } });
    let stdout = '';
    let stderr = '';
    if (closedStdout) child.stdout.destroy();
    else child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr += data));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

beforeAll(async () => {
  buildOnce();
  dir = await makeTempDir();
  model = await writeModel(dir, { inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, batchFirst: true });
  input = await writeNpy(dir, 'x.npy', sequenceArray([64, 20, 8]));
  big = await writeNpy(dir, 'big.npy', sequenceArray([3000, 20, 8]));
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
      runNode(['run', '--backend', 'wasm', '--weights', model.weights, '--config', model.config, '--input', input, '--output', `${name}.npy`, '--hn', `${name}-hn.npy`, '--workers', workers, '--batch-size', batchSize, '--quiet']);
    const [one, two] = [await run('one', '1', '8'), await run('two', '2', '5')];
    expect(one).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^64 sequences in .* backend wasm, 1 worker\n$/) });
    expect(two).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^64 sequences in .* backend wasm, 2 workers\n$/) });
    const bytes = (name: string) => fs.readFile(join(dir, name));
    expect(await bytes('two.npy')).toEqual(await bytes('one.npy'));
    expect(await bytes('two-hn.npy')).toEqual(await bytes('one-hn.npy'));
  });

  it('gives the same bytes with 1 and 2 workers for an LSTM with proj_size, h0, c0 and lengths: output, h_n and c_n', async () => {
    const lstmDir = join(dir, 'lstm');
    await fs.mkdir(lstmDir);
    const lstm = await writeModel(lstmDir, { mode: 'LSTM', inputSize: 8, hiddenSize: 16, projSize: 4, numLayers: 2, bidirectional: true, batchFirst: true });
    // 128 chunks: enough that the worker thread, which joins once loaded, computes some of them.
    const sequences = 2048;
    const files = [
      '--input', await writeNpy(lstmDir, 'x.npy', sequenceArray([sequences, 20, 8])),
      '--h0', await writeNpy(lstmDir, 'h0.npy', sequenceArray([4, sequences, 4], 2)),
      '--c0', await writeNpy(lstmDir, 'c0.npy', sequenceArray([4, sequences, 16], 3)),
      '--lengths', await writeJson(lstmDir, 'lengths.json', Array.from({ length: sequences }, (_, i) => 1 + ((i * 7) % 20))),
    ];
    const outputs = (name: string) => ['output', 'hn', 'cn'].flatMap((flag) => [`--${flag}`, join(lstmDir, `${name}-${flag}.npy`)]);
    const run = (name: string, workers: string) =>
      runNode(['run', '--backend', 'wasm', '--weights', lstm.weights, '--config', lstm.config, ...files, ...outputs(name), '--workers', workers, '--batch-size', '16', '--quiet']);
    expect(await run('one', '1')).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^2048 sequences in .* 1 worker\n$/) });
    expect(await run('two', '2')).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^2048 sequences in .* 2 workers\n$/) });
    for (const flag of ['output', 'hn', 'cn']) expect(await fs.readFile(join(lstmDir, `two-${flag}.npy`))).toEqual(await fs.readFile(join(lstmDir, `one-${flag}.npy`)));
    await fs.rm(lstmDir, { recursive: true });
  });

  it('gives the same bytes with 1 and 2 workers for a whole model (time-major input, a vector per sequence, lengths)', async () => {
    const modelDir = join(dir, 'whole');
    await fs.mkdir(modelDir);
    // fixtures/models/gru_mean_mlp: GRU, Mean, LayerNorm, Linear, GELU, Dropout, Linear, Softmax over [L, N, 5].
    const sequences = 1024;
    const files = [
      '--weights', modelFixturePath('gru_mean_mlp', 'model.pt'), '--model', modelFixturePath('gru_mean_mlp', 'spec.json'),
      '--input', await writeNpy(modelDir, 'x.npy', sequenceArray([7, sequences, 5])),
      '--lengths', await writeJson(modelDir, 'lengths.json', Array.from({ length: sequences }, (_, i) => 1 + ((i * 5) % 7))),
    ];
    // One chunk, which the calling thread computes in slices of rows; then 128 chunks on two threads.
    const run = (name: string, workers: string, batchSize: string) =>
      runNode(['run', '--backend', 'wasm', ...files, '--output', join(modelDir, `${name}.npy`), '--workers', workers, '--batch-size', batchSize, '--quiet']);
    expect(await run('one', '1', String(sequences))).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^1024 sequences in .* 1 worker\n$/) });
    expect(await run('two', '2', '8')).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringMatching(/^1024 sequences in .* 2 workers\n$/) });
    expect(await fs.readFile(join(modelDir, 'two.npy'))).toEqual(await fs.readFile(join(modelDir, 'one.npy')));
    await fs.rm(modelDir, { recursive: true });
  });

  it('exits at once on bad input with the worker threads it started before loading tfjs', async () => {
    const started = Date.now();
    const result = await runNode(['run', '--workers', '2', '--weights', model.weights, '--config', model.config, '--input', 'missing.npy', '--output', 'never.npy']);
    expect(result).toEqual({ code: 2, signal: null, stdout: '', stderr: expect.stringMatching(/^tfjs-rnn run: .*missing\.npy/) });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(join(dir, 'never.npy'))).toBe(false);
  });

  it('splits a run 16 ways under --shard auto (a Slurm array 0-15) and merges the pieces into the bytes of one run', async () => {
    const modelFlags = ['--backend', 'wasm', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input];
    expect((await runNode(['run', ...modelFlags, '--output', 'whole.npy', '--hn', 'whole-hn.npy'])).code).toBe(0);
    await fs.mkdir(join(dir, 'split'));
    const task = (id: number) => ({ SLURM_ARRAY_TASK_ID: `${id}`, SLURM_ARRAY_TASK_COUNT: '16', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '15', SLURM_ARRAY_TASK_STEP: '1' });
    for (let id = 0; id < 16; id += 2) {
      const tasks = [id, id + 1].map((each) => runNode(['run', ...modelFlags, '--output', 'split/out.npy', '--hn', 'split/hn.npy', '--shard', 'auto', '--quiet'], false, task(each)));
      for (const [offset, result] of (await Promise.all(tasks)).entries()) {
        expect(result).toEqual({ code: 0, signal: null, stdout: '', stderr: expect.stringContaining(`; shard ${id + offset}/16, rows [${4 * (id + offset)}, ${4 * (id + offset + 1)}), from Slurm job array`) });
      }
    }
    const pieces = (await listDir(join(dir, 'split'))).filter((name) => name.endsWith('.npy')).map((name) => join('split', name));
    expect(pieces).toHaveLength(32);
    const merged = await runNode(['merge', '--output', 'merged.npy', '--hn', 'merged-hn.npy', ...pieces]);
    expect(merged).toEqual({ code: 0, signal: null, stdout: '', stderr: 'merged 16 pieces of output into merged.npy [64, 20, 32], 16 pieces of h_n into merged-hn.npy [4, 64, 16]\n' });
    const bytes = (name: string) => fs.readFile(join(dir, name));
    expect(await bytes('merged.npy')).toEqual(await bytes('whole.npy'));
    expect(await bytes('merged-hn.npy')).toEqual(await bytes('whole-hn.npy'));
    await fs.rm(join(dir, 'split'), { recursive: true });
    await Promise.all(['whole.npy', 'whole-hn.npy', 'merged.npy', 'merged-hn.npy'].map((name) => fs.rm(join(dir, name))));
  });

  it('exits 2 with one line on bad input, and 0 with the usage on --help', async () => {
    const bad = await runNode(['run', '--weights', model.weights, '--config', model.config, '--input', 'missing.npy', '--output', 'out.npy']);
    expect(bad).toEqual({ code: 2, signal: null, stdout: '', stderr: 'tfjs-rnn run: missing.npy: expected a readable file, got no such file\n' });
    const help = await runNode(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tfjs-rnn <command>/);
  });

  it('ends quietly with its own exit code when nothing reads its stdout', async () => {
    const closed = { code: 0, signal: null, stdout: '', stderr: '' };
    expect(await runNode(['info', '--weights', model.weights], true)).toEqual(closed);
    expect(await runNode(['--help'], true)).toEqual(closed);
    expect(await runNode(['run', '--help'], true)).toEqual(closed);
    const check = await runNode(['check', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--quiet'], true);
    expect(check).toEqual({ ...closed, stderr: expect.stringMatching(/^64 sequences in [^\n]*\n$/) });
  });

  it('refuses an output that is the input, however spelled, leaving the input as it was', async () => {
    const bytes = await fs.readFile(input);
    for (const output of ['x.npy', './x.npy']) {
      const result = await runNode(['run', '--weights', model.weights, '--config', model.config, '--input', 'x.npy', '--output', output]);
      expect(result).toEqual({ code: 2, signal: null, stdout: '', stderr: `tfjs-rnn run: --output ${output}: expected a file that is not an input, got the same file as --input x.npy\n` });
    }
    expect(await fs.readFile(input)).toEqual(bytes);
  });

  /** Starts a long run writing `big-out.npy` and resolves once its temp output exists. */
  async function startLongRun(): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [MAIN, 'run', '--workers', '1', '--batch-size', '1', '--weights', model.weights, '--config', model.config, '--input', big, '--output', 'big-out.npy'], { cwd: dir });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const started = Date.now();
    while (!(await listDir(dir)).some((name) => name.endsWith('.tmp')) && Date.now() - started < 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { child, exited };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('leaves no output and no temp file when interrupted by %s', async (signal, code) => {
    const before = await listDir(dir);
    const { child, exited } = await startLongRun();
    child.kill(signal);
    expect(await exited).toBe(code);
    expect(await listDir(dir)).toEqual(before);
  });

  it('removes the temp file of a killed run on the next run writing the same output', async () => {
    const before = await listDir(dir);
    const { child, exited } = await startLongRun();
    child.kill('SIGKILL');
    await exited;
    const added = (await listDir(dir)).filter((name) => !before.includes(name));
    expect(added).toEqual([expect.stringMatching(/^\.big-out\.npy\.\d+\.[0-9a-f]{12}\.tmp$/)]);
    expect(added[0].split('.')[3]).toBe(String(child.pid));
    const next = await runNode(['run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', 'big-out.npy']);
    expect(next.code).toBe(0);
    expect(await listDir(dir)).toEqual([...before, 'big-out.npy'].sort());
    await fs.rm(join(dir, 'big-out.npy'));
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

/** Starts dist's chunk worker with `setup`, has it compute `chunk` once, and stops it. */
function computeInWorker(setup: WorkerSetup, chunk: { input: { shape: number[]; data: Float32Array } }): Promise<ChunkOutputs> {
  const worker = new Worker(join(ROOT, 'dist', 'cli', 'worker.js'), { workerData: { marker: WORKER_MARKER } });
  worker.postMessage({ setup });
  return new Promise<ChunkOutputs>((resolve, reject) => {
    worker.on('message', (message: { ready?: boolean; outputs?: ChunkOutputs; error?: { message: string } }) => {
      if (message.ready === true) worker.postMessage({ task: { id: 0, chunk, rows: chunk.input.shape[0], cursor: new Int32Array(new SharedArrayBuffer(4)) } });
      else if (message.outputs !== undefined) resolve(message.outputs);
      else reject(new Error(message.error?.message ?? 'worker failed'));
    });
    worker.on('error', reject);
  }).finally(() => worker.terminate());
}

describe('worker threads', () => {
  it("build the hand-written model with the pool's --loop: a worker's chunk has the bits of this thread's runner with the same loop", async () => {
    await initBackend('wasm');
    const config = checkConfig({ mode: 'LSTM', inputSize: 3, hiddenSize: 8, batchFirst: true });
    const model = createManualModel(config, { seed: 3 });
    const spec: ModelSpec = { config, stateDict: toHostArrays(model.stateDict()) };
    model.dispose();
    const chunk = { input: sequenceArray([4, 30, 3], 9) };
    const here = (loop: StepLoop) => {
      const runner = createChunkRunner(spec, ['manual'], loop);
      const outputs = runner.run(chunk);
      runner.dispose();
      return Array.from(outputs.manual!.output.data);
    };
    const [hostHere, tensorHere] = [here('host'), here('tensor')];
    expect(hostHere).not.toEqual(tensorHere);
    for (const [loop, expected] of [['host', hostHere], ['tensor', tensorHere]] as const) {
      const setup: WorkerSetup = { spec, axes: { input: 0, output: 0, state: 1 }, implementations: ['manual'], backend: 'wasm', loop };
      const outputs = await computeInWorker(setup, { input: { shape: chunk.input.shape, data: chunk.input.data.slice() } });
      expect(Array.from(outputs.manual!.output.data)).toEqual(expected);
    }
  });
});

describe('npx tfjs-rnn', () => {
  it('runs the package bin from the clone', () => {
    const stdout = execFileSync('npx', ['--no-install', 'tfjs-rnn', 'info', '--weights', model.weights, '--backend', 'cpu'], { cwd: ROOT, encoding: 'utf8' });
    expect(stdout).toMatch(/^weights: .*weights\.safetensors \(safetensors\)\nrecurrent modules \(1\):\n  '' \(the model itself\): nn\.RNN\(input_size=8, hidden_size=16, num_layers=2, bidirectional=True, bias=True\)\n/);
    expect(existsSync(MAIN)).toBe(true);
  });
});
