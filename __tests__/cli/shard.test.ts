import { createHash } from 'crypto';
import { promises as fs, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { getBackendName } from '../../src/backend';
import { ArgumentError } from '../../src/errors';
import { UsageError } from '../../src/cli/flags';
import { fingerprintFile } from '../../src/cli/fingerprint';
import { Environment } from '../../src/cli/scheduler';
import { shardFlag, shardPath, shardToken } from '../../src/cli/shard';
import { listDir, makeTempDir, readNpy, referenceForward, removeTempDir, runCli, sequenceArray, withScheduler, writeModel, writeNpy } from './helpers';

/**
 * `--shard auto`: the shard from the variables of the scheduler running the task (Kubernetes
 * Indexed Job, Slurm job array, AWS Batch array job), refused with the variables named when
 * none is set or they disagree, and shown in the summary line; outputs named after the shard,
 * each with its shard record.
 */

const LOOKED_FOR =
  'JOB_COMPLETION_INDEX (Kubernetes Indexed Job); SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, ' +
  'SLURM_ARRAY_TASK_STEP (Slurm job array); AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ARRAY_SIZE (AWS Batch array job)';

/** The shard `--shard text` gives in `env`. */
function shardIn(env: Environment, text: string) {
  return shardFlag({ shard: text }, env);
}

describe('--shard auto reads the scheduler present', () => {
  it.each<[string, Environment, string, string]>([
    ['a Kubernetes Indexed Job, the count from the flag', { JOB_COMPLETION_INDEX: '3' }, 'auto/16', 'Kubernetes Indexed Job (JOB_COMPLETION_INDEX=3)'],
    ['a Slurm array 0-15, as Slurm sets it', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '16', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '15', SLURM_ARRAY_TASK_STEP: '1' }, 'auto',
      'Slurm job array (SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=15 SLURM_ARRAY_TASK_STEP=1)'],
    ['a Slurm array, ID and COUNT', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '16' }, 'auto', 'Slurm job array (SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16)'],
    ['a Slurm array 1-16 (MIN/MAX): its position in the array', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '16' }, 'auto',
      'Slurm job array (SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=16)'],
    ['a Slurm array 1-31:2', { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_COUNT: '16', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '31', SLURM_ARRAY_TASK_STEP: '2' }, 'auto/16',
      'Slurm job array (SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_COUNT=16 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=31 SLURM_ARRAY_TASK_STEP=2)'],
    ['a Slurm task ID alone, the count from the flag', { SLURM_ARRAY_TASK_ID: '3' }, 'auto/16', 'Slurm job array (SLURM_ARRAY_TASK_ID=3)'],
    ['an AWS Batch array job', { AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ARRAY_SIZE: '16' }, 'auto', 'AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=3 AWS_BATCH_JOB_ARRAY_SIZE=16)'],
    ['an AWS Batch index, the count from the flag', { AWS_BATCH_JOB_ARRAY_INDEX: '3' }, 'auto/16', 'AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=3)'],
    ['an empty variable as unset', { JOB_COMPLETION_INDEX: '', AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ARRAY_SIZE: '16', SLURM_ARRAY_TASK_ID: '' }, 'auto',
      'AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=3 AWS_BATCH_JOB_ARRAY_SIZE=16)'],
    ['two schedulers that agree', { JOB_COMPLETION_INDEX: '3', AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ARRAY_SIZE: '16' }, 'auto',
      'Kubernetes Indexed Job (JOB_COMPLETION_INDEX=3), AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=3 AWS_BATCH_JOB_ARRAY_SIZE=16)'],
  ])('shard 3/16 of %s', (_, env, text, source) => {
    expect(shardIn(env, text)).toEqual({ index: 3, count: 16, source });
  });

  it('takes i/n as given, whatever the environment', () => {
    expect(shardIn({ SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_COUNT: '16' }, '3/16')).toEqual({ index: 3, count: 16 });
  });
});

describe('--shard auto refuses, naming the variables', () => {
  it.each<[string, Environment, string, string]>([
    ['none is set', {}, 'auto', `--shard auto: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got none of them set`],
    ["Slurm's count without its task ID", { SLURM_ARRAY_TASK_COUNT: '16' }, 'auto/16',
      `--shard auto/16: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got SLURM_ARRAY_TASK_COUNT=16 (Slurm job array) set without SLURM_ARRAY_TASK_ID`],
    ["AWS's size without its index", { AWS_BATCH_JOB_ARRAY_SIZE: '8' }, 'auto',
      `--shard auto: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got AWS_BATCH_JOB_ARRAY_SIZE=8 (AWS Batch array job) set without AWS_BATCH_JOB_ARRAY_INDEX`],
    ['Kubernetes gives no count', { JOB_COMPLETION_INDEX: '3' }, 'auto',
      '--shard auto: expected a shard count: Kubernetes Indexed Job (JOB_COMPLETION_INDEX=3) gives the index only (pass --shard auto/n, n the number of tasks), got none'],
    ['the count contradicts the scheduler', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '16' }, 'auto/8',
      '--shard auto/8: expected the count the scheduler gives, 16: Slurm job array (SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16), got 8'],
    ['two schedulers disagree on the index', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '16', AWS_BATCH_JOB_ARRAY_INDEX: '2' }, 'auto',
      '--shard auto: expected one shard from the environment, got Slurm job array (SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16) and AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=2)'],
    ['two schedulers disagree on the count', { JOB_COMPLETION_INDEX: '3', SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '16', AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ARRAY_SIZE: '8' }, 'auto',
      '--shard auto: expected one shard from the environment, got Slurm job array (SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16) and AWS Batch array job (AWS_BATCH_JOB_ARRAY_INDEX=3 AWS_BATCH_JOB_ARRAY_SIZE=8)'],
    ['Slurm COUNT and MIN/MAX disagree (a list of IDs)', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '1' }, 'auto',
      'SLURM_ARRAY_TASK_COUNT: expected 9, the tasks of the range 1-9:1 (a list of task IDs is not a range: pass --shard i/n), got 3'],
    ['the Slurm task is outside MIN/MAX', { SLURM_ARRAY_TASK_ID: '17', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '16' }, 'auto',
      'SLURM_ARRAY_TASK_ID: expected a task of the array 1-16:1 (SLURM_ARRAY_TASK_MIN-SLURM_ARRAY_TASK_MAX:SLURM_ARRAY_TASK_STEP), got 17'],
    ['the Slurm task is off the step', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '31', SLURM_ARRAY_TASK_STEP: '2' }, 'auto',
      'SLURM_ARRAY_TASK_ID: expected a task of the array 1-31:2 (SLURM_ARRAY_TASK_MIN-SLURM_ARRAY_TASK_MAX:SLURM_ARRAY_TASK_STEP), got 4'],
    ['a Slurm step of 0', { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_STEP: '0' }, 'auto/8', 'SLURM_ARRAY_TASK_STEP: expected a step of at least 1, got 0'],
    ['the index is not below the count', { JOB_COMPLETION_INDEX: '16' }, 'auto/16',
      '--shard auto/16: expected a task index below the count 16, got Kubernetes Indexed Job (JOB_COMPLETION_INDEX=16)'],
    ['a variable is not an integer', { AWS_BATCH_JOB_ARRAY_INDEX: '3', AWS_BATCH_JOB_ARRAY_SIZE: '1e3' }, 'auto', "AWS_BATCH_JOB_ARRAY_SIZE: expected a non-negative integer, got '1e3'"],
    ['an index is negative', { JOB_COMPLETION_INDEX: '-1' }, 'auto/4', "JOB_COMPLETION_INDEX: expected a non-negative integer, got '-1'"],
  ])('when %s', (_, env, text, message) => {
    let error: unknown;
    try {
      shardIn(env, text);
    } catch (thrown) {
      error = thrown;
    }
    // An ArgumentError, not a UsageError: one line, without the usage.
    expect(error).toBeInstanceOf(ArgumentError);
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
  });
});

describe('output names', () => {
  it('carry the shard zero-padded to at least 4 digits, so that they sort in shard order', () => {
    expect(shardToken({ index: 3, count: 16 })).toBe('shard-0003-of-0016');
    expect(shardToken({ index: 0, count: 1 })).toBe('shard-0000-of-0001');
    expect(shardToken({ index: 42, count: 12345 })).toBe('shard-00042-of-12345');
  });

  const auto = { index: 3, count: 16, source: 'Kubernetes Indexed Job (JOB_COMPLETION_INDEX=3)' };
  it.each<[string, string, Parameters<typeof shardPath>[1], string]>([
    ['--shard auto: before the extension', 'out.npy', auto, 'out.shard-0003-of-0016.npy'],
    ['--shard auto: before the last extension only', 'runs/v1.2/out.v3.json', auto, 'runs/v1.2/out.v3.shard-0003-of-0016.json'],
    ['--shard auto: at {shard}', 'out-{shard}.npy', auto, 'out-shard-0003-of-0016.npy'],
    ['--shard i/n: at {shard}, every one', 'shards/{shard}/out.{shard}.npy', { index: 3, count: 16 }, 'shards/shard-0003-of-0016/out.shard-0003-of-0016.npy'],
    ['--shard i/n: as given without {shard}', 'out.npy', { index: 3, count: 16 }, 'out.npy'],
    ['no --shard', 'out.npy', undefined, 'out.npy'],
  ])('%s', (_, path, shard, expected) => {
    expect(shardPath(path, shard, '--output')).toBe(expected);
  });

  it('refuses {shard} without --shard', () => {
    expect(() => shardPath('out.{shard}.npy', undefined, '--hn')).toThrow(new UsageError('--hn', '{shard} only with --shard (it stands for the shard)', "'out.{shard}.npy' without --shard"));
  });
});

describe('input fingerprints', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
  });

  afterAll(async () => {
    await removeTempDir(dir);
  });

  it('hash a file up to 16 MiB whole, with its size', async () => {
    const path = join(dir, 'small.bin');
    const contents = Buffer.alloc(16 * 2 ** 20, 7);
    await fs.writeFile(path, contents);
    const sha256 = createHash('sha256').update(`${contents.length}\n`).update(contents).digest('hex');
    expect(fingerprintFile(path)).toEqual({ bytes: contents.length, sha256, sampled: false });
  });

  it('sample a larger file: copies match, a change in its first or last block does not', async () => {
    const contents = Buffer.alloc(20 * 2 ** 20 + 3, 1);
    const write = async (name: string, at?: number) => {
      const bytes = Buffer.from(contents);
      if (at !== undefined) bytes[at] = 2;
      await fs.writeFile(join(dir, name), bytes);
      return fingerprintFile(join(dir, name));
    };
    const original = await write('large.bin');
    expect(original).toEqual({ bytes: contents.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sampled: true });
    expect(await write('copy.bin')).toEqual(original);
    expect((await write('first.bin', 0)).sha256).not.toBe(original.sha256);
    expect((await write('last.bin', contents.length - 1)).sha256).not.toBe(original.sha256);
  });

  it('name an unreadable file', () => {
    expect(() => fingerprintFile(join(dir, 'gone.bin'))).toThrow(`${join(dir, 'gone.bin')}: expected a readable file, got no such file`);
  });
});

describe('tfjs-rnn run --shard auto', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  it('prints the shard chosen and where it came from in the summary line', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3, batchFirst: true });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([16, 4, 2]));
    const env = { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' };
    const result = await withScheduler(env, () => runCli(['run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--shard', 'auto']));
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: expect.stringMatching(/^4 sequences in .*, 1 worker; shard 3\/4, rows \[12, 16\), from Slurm job array \(SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4\)\n$/),
    });
  });

  it("writes each output under the shard's name with its shard record, the shard's rows of the whole run", async () => {
    const config = { inputSize: 2, hiddenSize: 3, numLayers: 2 };
    const model = await writeModel(dir, config);
    const input = sequenceArray([4, 16, 2]);
    const inputPath = await writeNpy(dir, 'x.npy', input);
    const flags = ['--weights', model.weights, '--config', model.config, '--input', inputPath, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn-{shard}.npy')];
    expect((await withScheduler({ JOB_COMPLETION_INDEX: '3' }, () => runCli(['run', '--workers', '1', ...flags, '--shard', 'auto/4']))).code).toBe(0);
    expect(await listDir(dir)).toEqual([
      'config.json', 'hn-shard-0003-of-0004.npy', 'hn-shard-0003-of-0004.npy.json',
      'out.shard-0003-of-0004.npy', 'out.shard-0003-of-0004.npy.json', 'weights.safetensors', 'x.npy',
    ]);
    const expected = referenceForward(config, input);
    const rows = (array: { shape: number[]; data: Float32Array }) => Array.from(array.data).filter((_, i) => Math.floor(i / 3) % 16 >= 12);
    expect(Array.from((await readNpy(join(dir, 'out.shard-0003-of-0004.npy'))).data)).toEqual(rows(expected.output));
    expect(Array.from((await readNpy(join(dir, 'hn-shard-0003-of-0004.npy'))).data)).toEqual(rows(expected.hN));
    const record = JSON.parse(await fs.readFile(join(dir, 'hn-shard-0003-of-0004.npy.json'), 'utf8'));
    const fileOf = (name: string) => ({ bytes: statSync(join(dir, name)).size, sha256: createHash('sha256').update(`${statSync(join(dir, name)).size}\n`).update(readFileSync(join(dir, name))).digest('hex'), sampled: false });
    expect(record).toEqual({
      'tfjs-rnn shard record': 2,
      array: 'h_n',
      shard: { index: 3, count: 4 },
      batch: 16,
      batchAxis: 1,
      shape: [2, 4, 3],
      inputs: { '--weights': fileOf('weights.safetensors'), '--config': fileOf('config.json'), '--input': fileOf('x.npy') },
      impl: 'manual',
      backend: getBackendName(),
      loop: 'auto',
      piece: fileOf('hn-shard-0003-of-0004.npy'),
    });
  });

  it('writes a shard record with --shard i/n too, beside the output as named', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3, batchFirst: true });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([5, 4, 2]));
    expect((await runCli(['run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--shard', '1/2'])).code).toBe(0);
    expect(await listDir(dir)).toEqual(['config.json', 'out.npy', 'out.npy.json', 'weights.safetensors', 'x.npy']);
    expect(JSON.parse(await fs.readFile(join(dir, 'out.npy.json'), 'utf8'))).toMatchObject({ array: 'output', shard: { index: 1, count: 2 }, batch: 5, batchAxis: 0, shape: [3, 4, 3] });
  });

  it('refuses a .json output with --shard before any work: merge reads .npy pieces', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3 });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([4, 16, 2]));
    const before = await listDir(dir);
    const result = await runCli(['run', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--hn', join(dir, 'hn.{shard}.json'), '--shard', '1/2']);
    const hn = join(dir, 'hn.shard-0001-of-0002.json');
    expect(result).toEqual({ code: 2, stdout: '', stderr: `tfjs-rnn run: --hn ${hn}: expected a .npy output with --shard (merge reads .npy pieces), got a .json output\n` });
    expect(await listDir(dir)).toEqual(before);
  });

  it("refuses, before any work, an output that is another output's shard record, and {shard} without --shard", async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3 });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([4, 16, 2]));
    const before = await listDir(dir);
    const run = (...flags: string[]) => runCli(['run', '--weights', model.weights, '--config', model.config, '--input', input, ...flags]);
    const clash = await run('--output', join(dir, 'out.{shard}.npy'), '--hn', join(dir, 'out.shard-0001-of-0002.npy.json'), '--shard', '1/2');
    expect(clash).toEqual({ code: 2, stdout: '', stderr: `tfjs-rnn run: --output record ${join(dir, 'out.shard-0001-of-0002.npy.json')}: expected a file that is not another output, got the same file as --hn ${join(dir, 'out.shard-0001-of-0002.npy.json')}\n` });
    const placeholder = await run('--output', join(dir, 'out.{shard}.npy'));
    expect(placeholder.code).toBe(2);
    expect(placeholder.stderr.split('\n')[0]).toBe(`tfjs-rnn run: --output: expected {shard} only with --shard (it stands for the shard), got '${join(dir, 'out.{shard}.npy')}' without --shard`);
    expect(await listDir(dir)).toEqual(before);
  });

  it('exits 2 with one line naming the variables when none is set, writing nothing', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3 });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([4, 16, 2]));
    const before = await listDir(dir);
    const result = await withScheduler({}, () => runCli(['run', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--shard', 'auto']));
    expect(result).toEqual({ code: 2, stdout: '', stderr: `tfjs-rnn run: --shard auto: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got none of them set\n` });
    expect(await listDir(dir)).toEqual(before);
  });
});
