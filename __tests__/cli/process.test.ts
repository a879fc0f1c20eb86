import { spawn, spawnSync } from 'child_process';
import { closeSync, openSync } from 'fs';
import { join } from 'path';
import { MAIN, buildOnce, listDir, makeTempDir, removeTempDir, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * What only a process of the built CLI (`node dist/cli/main.js`) shows: a signal stops a run
 * in the middle of a long chunk, and a failed write to stdout or stderr is an exit code and a
 * line, not a stack trace.
 */

let dir: string;

beforeAll(async () => {
  buildOnce();
  dir = await makeTempDir();
}, 120_000);

afterAll(async () => {
  await removeTempDir(dir);
});

describe('a signal during a chunk that takes many seconds', () => {
  let flags: string[];

  beforeAll(async () => {
    // nn.LSTM(32, 256) over 4096 sequences of 50 steps: a chunk of 2048 takes tens of seconds here.
    const model = await writeModel(dir, { mode: 'LSTM', inputSize: 32, hiddenSize: 256 });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([50, 4096, 32]));
    flags = ['run', '--weights', model.weights, '--config', model.config, '--input', input, '--workers', '2', '--batch-size', '2048', '--quiet'];
  }, 60_000);

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('%s stops the run, 2 workers and --batch-size 2048, within seconds, leaving nothing', async (signal, code) => {
    const before = await listDir(dir);
    const child = spawn(process.execPath, [MAIN, ...flags, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.npy')], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    const started = Date.now();
    while (!(await listDir(dir)).some((name) => name.endsWith('.tmp')) && Date.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 3000)); // Well into the first chunks, on both threads.
    const signalled = Date.now();
    child.kill(signal);
    expect(await exited).toBe(code);
    // Before, the run waited for the chunk in progress: about 30 s here.
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(await listDir(dir)).toEqual(before);
  }, 120_000);
});

describe('a failed write to stdout or stderr', () => {
  let model: { weights: string; config: string };

  beforeAll(async () => {
    model = await writeModel(dir, { inputSize: 3, hiddenSize: 4 }, 3);
  });

  /** Runs the CLI with stdout or stderr (`full`) going to /dev/full, where every write fails with ENOSPC. */
  function runWithFull(args: string[], full: 'stdout' | 'stderr'): { code: number | null; stdout: string; stderr: string } {
    const fd = openSync('/dev/full', 'w');
    try {
      const stdio = full === 'stdout' ? ['ignore', fd, 'pipe'] : ['ignore', 'pipe', fd];
      const { status, stdout, stderr } = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, stdio: stdio as ['ignore', number, 'pipe'], encoding: 'utf8' });
      return { code: status, stdout: stdout ?? '', stderr: stderr ?? '' };
    } finally {
      closeSync(fd);
    }
  }

  it.each(['cpu', 'wasm'])('info > /dev/full (--backend %s): exit 2 and one line on stderr', (backend) => {
    expect(runWithFull(['info', '--weights', model.weights, '--backend', backend], 'stdout')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'tfjs-rnn info: stdout: expected a writable output, got ENOSPC: no space left on device\n',
    });
  });

  it('merge 2> /dev/full: exit 2 (its summary line could not be written)', async () => {
    const input = await writeNpy(dir, 'x3.npy', sequenceArray([5, 4, 3]));
    const run = spawnSync(process.execPath, [MAIN, 'run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'piece.npy'), '--shard', '0/1'], { cwd: dir });
    expect(run.status).toBe(0);
    expect(runWithFull(['merge', '--output', join(dir, 'merged.npy'), join(dir, 'piece.npy')], 'stderr')).toEqual({ code: 2, stdout: '', stderr: '' });
  });
});
