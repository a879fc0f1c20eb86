import { availableParallelism } from 'os';
import { join } from 'path';
import { FIXTURES, listDir, makeTempDir, removeTempDir, runCli } from './helpers';

/**
 * Flag values as a user types them: negative numbers reach the flag's own check, tolerances are
 * decimal numbers, a flag given twice is an error, and --workers beyond the cores is capped.
 */

const MODEL = join(FIXTURES, 'model');
const MODEL_FLAGS = ['--weights', join(MODEL, 'weights.safetensors'), '--config', join(MODEL, 'config.json'), '--input', join(MODEL, 'input.npy')];

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

function run(...extra: string[]): string[] {
  return ['run', ...MODEL_FLAGS, '--output', join(dir, 'out.npy'), ...extra];
}

function check(...extra: string[]): string[] {
  return ['check', '--workers', '1', ...MODEL_FLAGS, ...extra];
}

/** Runs `argv`: exit 2, `message` as the first line of stderr, then the usage, and nothing written. */
async function expectUsageError(argv: string[], message: string): Promise<void> {
  const { code, stdout, stderr } = await runCli(argv);
  expect({ code, stdout, lines: stderr.split('\n').slice(0, 2) }).toEqual({ code: 2, stdout: '', lines: [message, expect.stringMatching(/^Usage: tfjs-rnn /)] });
  expect(await listDir(dir)).toEqual([]);
}

describe('negative numbers', () => {
  it.each(['batch-size', 'workers'])('--%s -1 is not a positive integer', async (flag) => {
    await expectUsageError(run(`--${flag}`, '-1'), `tfjs-rnn run: --${flag}: expected a positive integer, got '-1'`);
  });

  it('--shard -1/2 is not a shard', async () => {
    await expectUsageError(run('--shard', '-1/2'), "tfjs-rnn run: --shard: expected i/n with 0 <= i < n (zero-based shard i of n), auto or auto/n (from the scheduler), got '-1/2'");
  });

  it.each(['atol', 'rtol'])('--%s -0.5 is not a non-negative number', async (flag) => {
    await expectUsageError(check(`--${flag}`, '-0.5'), `tfjs-rnn check: --${flag}: expected a non-negative decimal number, got '-0.5'`);
  });
});

describe('tolerances', () => {
  it.each(['0x10', 'Infinity', '1e400', '', ' 1', '1,5', '1e'])("--atol '%s' is not a decimal number", async (text) => {
    await expectUsageError(check(`--atol=${text}`), `tfjs-rnn check: --atol: expected a non-negative decimal number, got '${text}'`);
  });

  it('takes decimal numbers with or without a point or an exponent', async () => {
    const { code, stdout } = await runCli(check('--rtol', '.5', '--atol', '1e-3'));
    expect(code).toBe(0);
    expect(stdout).toContain('(rtol 0.5, atol 0.001): ok');
  });
});

describe('repeated flags', () => {
  it('is an error naming the flag', async () => {
    await expectUsageError(run('--output', join(dir, 'other.npy')), 'tfjs-rnn run: --output: expected the flag once, got it 2 times');
    await expectUsageError(run('--quiet', '--quiet', '--quiet'), 'tfjs-rnn run: --quiet: expected the flag once, got it 3 times');
    await expectUsageError(['info', '--weights', 'a.json', '--weights=b.json'], 'tfjs-rnn info: --weights: expected the flag once, got it 2 times');
  });
});

describe('--workers', () => {
  it('is capped to the cores, saying so', async () => {
    const cores = availableParallelism();
    const { code, stderr } = await runCli(run('--workers', '1000'));
    expect(code).toBe(0);
    expect(stderr).toMatch(new RegExp(`^tfjs-rnn: --workers: 1000 is more than the ${cores} cores; using ${cores}\\n4 sequences in `));
  });
});
