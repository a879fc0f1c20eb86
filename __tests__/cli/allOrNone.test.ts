import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import { join } from 'path';
import { writeFileAtomic } from '../../src/formats';
import { listDir, makeTempDir, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * Commits of several files (run --output/--hn/--cn, a shard's pieces and records, merge,
 * convert --to tfjs) land whole or leave every destination as it was, byte for byte: when a
 * destination turns into a directory during the run, when one cannot be replaced, and when the
 * process is killed in the middle of the commit (the next write finishes or undoes it).
 */

/** The real `fs`, whose functions the commit calls. */
const realFs: typeof import('fs') = jest.requireActual('fs');

let dir: string;
let weights: string;
let config: string;
let input: string;

beforeEach(async () => {
  dir = await makeTempDir();
  ({ weights, config } = await writeModel(dir, { mode: 'LSTM', inputSize: 3, hiddenSize: 4 }));
  input = await writeNpy(dir, 'x.npy', sequenceArray([5, 4, 3]));
});

afterEach(async () => {
  jest.restoreAllMocks();
  await removeTempDir(dir);
});

function path(name: string): string {
  return join(dir, name);
}

/** `run` on the LSTM and input of `dir`, one worker, with `extra` flags. */
function run(...extra: string[]): string[] {
  return ['run', '--workers', '1', '--weights', weights, '--config', config, '--input', input, ...extra];
}

/** Every file under `dir` (temp files, journals and kept old files included) with its bytes. */
async function snapshot(directory = dir): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await fs.readdir(directory, { withFileTypes: true, recursive: true })) {
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    files[full] = entry.isFile() ? (await fs.readFile(full)).toString('base64') : 'directory';
  }
  return files;
}

/** Makes the rename of a temp file over `target` fail as on a file that cannot be replaced. */
function failRenameOver(target: string): void {
  const renameSync = realFs.renameSync;
  jest.spyOn(realFs, 'renameSync').mockImplementation((from, to) => {
    if (to === target && String(from).endsWith('.tmp')) throw Object.assign(new Error(`EPERM: operation not permitted, rename '${from}' -> '${to}'`), { code: 'EPERM' });
    renameSync(from, to);
  });
}

/**
 * Runs `argv` expecting exit 2 with the one line `message`, and every file under `dir` as it
 * was (`changed`: but those the test itself changes during the run).
 */
async function expectUntouched(argv: string[], message: string, changed: Record<string, string> = {}): Promise<void> {
  const before = await snapshot();
  const result = await runCli(argv);
  expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  expect(await snapshot()).toEqual({ ...before, ...changed });
}

describe('a destination that cannot be replaced: every old file stays, byte for byte', () => {
  it('run --output --hn --cn: h_n cannot be renamed over after output was', async () => {
    expect((await runCli(run('--output', path('o.npy'), '--hn', path('h.npy'), '--cn', path('c.npy')))).code).toBe(0);
    await fs.writeFile(path('o.npy'), 'old output'); // So that a new output would show.
    failRenameOver(path('h.npy'));
    await expectUntouched(
      run('--output', path('o.npy'), '--hn', path('h.npy'), '--cn', path('c.npy')),
      `tfjs-rnn run: ${path('h.npy')}: expected a writable file path, got EPERM: operation not permitted`,
    );
  });

  it('run --output --hn: h_n becomes a directory during the run', async () => {
    await fs.writeFile(path('o.npy'), 'old output');
    await fs.writeFile(path('h.npy'), 'old h_n');
    const fsync = realFs.fsync;
    jest.spyOn(realFs, 'fsync').mockImplementation(((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      if (realFs.statSync(path('h.npy')).isFile()) {
        realFs.unlinkSync(path('h.npy'));
        realFs.mkdirSync(path('h.npy'));
      }
      fsync(fd, callback);
    }) as typeof realFs.fsync);
    await expectUntouched(
      run('--output', path('o.npy'), '--hn', path('h.npy')),
      `tfjs-rnn run: ${path('h.npy')}: expected a regular file or a new name to write, got a directory`,
      { [path('h.npy')]: 'directory' },
    );
  });

  it('run --shard: the record cannot be renamed over after its piece was', async () => {
    const piece = path('o.shard-0000-of-0002.npy');
    expect((await runCli(run('--output', path('o.{shard}.npy'), '--shard', '0/2'))).code).toBe(0);
    await fs.writeFile(piece, 'old piece');
    failRenameOver(`${piece}.json`);
    await expectUntouched(run('--output', path('o.{shard}.npy'), '--shard', '0/2'), `tfjs-rnn run: ${piece}.json: expected a writable file path, got EPERM: operation not permitted`);
  });

  it('merge --output --hn: h_n cannot be renamed over after output was', async () => {
    for (const shard of ['0/2', '1/2']) expect((await runCli(run('--output', path('o.{shard}.npy'), '--hn', path('h.{shard}.npy'), '--shard', shard))).code).toBe(0);
    const pieces = (await listDir(dir)).filter((name) => /shard.*\.npy$/.test(name)).map(path);
    await fs.writeFile(path('merged-o.npy'), 'old output');
    await fs.writeFile(path('merged-h.npy'), 'old h_n');
    failRenameOver(path('merged-h.npy'));
    await expectUntouched(
      ['merge', '--output', path('merged-o.npy'), '--hn', path('merged-h.npy'), ...pieces],
      `tfjs-rnn merge: ${path('merged-h.npy')}: expected a writable file path, got EPERM: operation not permitted`,
    );
  });

  it('convert --to tfjs: model.json cannot be renamed over after weights.bin was', async () => {
    expect((await runCli(['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('m')])).code).toBe(0);
    await fs.writeFile(path('m/weights.bin'), 'old weights');
    failRenameOver(path('m/model.json'));
    await expectUntouched(
      ['convert', '--weights', weights, '--config', config, '--to', 'tfjs', path('m')],
      `tfjs-rnn convert: ${path('m/model.json')}: expected a writable file path, got EPERM: operation not permitted`,
    );
  });

  it('a new name among the destinations is removed again', async () => {
    await fs.writeFile(path('o.npy'), 'old output');
    failRenameOver(path('c.npy'));
    await expectUntouched(
      run('--output', path('o.npy'), '--hn', path('h.npy'), '--cn', path('c.npy')),
      `tfjs-rnn run: ${path('c.npy')}: expected a writable file path, got EPERM: operation not permitted`,
    );
  });
});

describe('a commit killed in its middle', () => {
  /**
   * In a child process, commits `a` and `b/b` (two directories) over their old files, killing
   * itself (SIGKILL, no clean-up) at the `step`-th call of `fs[method]` during the commit.
   */
  function killedCommit(method: 'renameSync' | 'unlinkSync', step: number): void {
    const script = `
      const fs = require('fs');
      const { writeFilesAtomic } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'formats'))});
      const real = fs[${JSON.stringify(method)}];
      let calls = 0;
      fs[${JSON.stringify(method)}] = (...args) => {
        if (++calls === ${step}) process.kill(process.pid, 'SIGKILL');
        return real(...args);
      };
      writeFilesAtomic([{ path: ${JSON.stringify(path('a'))}, contents: 'new a' }, { path: ${JSON.stringify(path('b/b'))}, contents: 'new b' }]);
    `;
    const child = spawnSync(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
  }

  beforeEach(async () => {
    await fs.mkdir(path('b'));
    await fs.writeFile(path('a'), 'old a');
    await fs.writeFile(path('b/b'), 'old b');
  });

  /** `a` and `b/b`, and whether anything else is left besides them, `c` and the model's files. */
  async function state(): Promise<{ a: string; b: string; others: string[] }> {
    const others = [...(await listDir(dir)), ...(await listDir(path('b'))).map((name) => `b/${name}`)];
    const expected = ['a', 'b', 'b/b', 'c', 'config.json', 'weights.safetensors', 'x.npy'];
    return { a: await fs.readFile(path('a'), 'utf8'), b: await fs.readFile(path('b/b'), 'utf8'), others: others.filter((name) => !expected.includes(name)) };
  }

  it('after a replaced and before b: the next write into either directory puts the old a back', async () => {
    killedCommit('renameSync', 2); // 1: a's temp over a; 2: b's.
    expect((await state()).a).toBe('new a');
    await writeFileAtomic(path('b/c'), 'c');
    await fs.rm(path('b/c'));
    expect(await state()).toEqual({ a: 'old a', b: 'old b', others: [] });
    // The journal is gone from both directories: a later write finds nothing to undo.
    await writeFileAtomic(path('c'), 'c');
    expect(await state()).toEqual({ a: 'old a', b: 'old b', others: [] });
  });

  it.each([1, 2])('after the commit point, at clean-up step %p: the next write removes what the commit kept, the new files stay', async (step) => {
    killedCommit('unlinkSync', step); // After the primary journal is renamed done: 1 removes a's old file, 2 b's.
    expect((await state()).others.length).toBeGreaterThan(0);
    await writeFileAtomic(path('c'), 'c');
    await writeFileAtomic(path('b/c'), 'c');
    await fs.rm(path('b/c'));
    expect(await state()).toEqual({ a: 'new a', b: 'new b', others: [] });
  });

  it("leaves the journals of other hosts alone (a volume shared by machines), and a journal cut short until it is old", async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    const kept = `.a.${gone}.0123456789ab.old`;
    await fs.writeFile(path(kept), 'old a');
    const entries = [{ path: path('a'), temp: path(`.a.${gone}.0123456789ab.tmp`), backup: path(kept) }];
    const journal = (tag: string) => `.tfjs-rnn-commit.${gone}.${tag}.json`;
    const record = { 'tfjs-rnn commit': 1, host: 'another-host', primary: path(journal('0123456789ab')), copies: [path(journal('0123456789ab'))], entries };
    await fs.writeFile(path(journal('0123456789ab')), JSON.stringify(record));
    await fs.writeFile(path(journal('ba9876543210')), '{"tfjs-rnn commit": 1, "ho');
    await fs.writeFile(path(journal('aaaaaaaaaaaa')), '{"tfjs-rnn commit": 1, "ho');
    const anHourAgo = new Date(Date.now() - 3600_000);
    await fs.utimes(path(journal('aaaaaaaaaaaa')), anHourAgo, anHourAgo);
    await writeFileAtomic(path('c'), 'c');
    expect(await state()).toEqual({ a: 'old a', b: 'old b', others: [kept, journal('0123456789ab'), journal('ba9876543210')].sort() });
  });
});
