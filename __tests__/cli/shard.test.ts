import { join } from 'path';
import { ArgumentError } from '../../src/errors';
import { UsageError } from '../../src/cli/flags';
import { Environment } from '../../src/cli/scheduler';
import { shardFlag } from '../../src/cli/shard';
import { listDir, makeTempDir, removeTempDir, runCli, sequenceArray, writeModel, writeNpy } from './helpers';

/**
 * `--shard auto`: the shard from the variables of the scheduler running the task (Kubernetes
 * Indexed Job, Slurm job array, AWS Batch array job), refused with the variables named when
 * none is set or they disagree, and shown in the summary line.
 */

/** Every variable a scheduler sets that `--shard auto` reads. */
const SCHEDULER_VARIABLES = [
  'JOB_COMPLETION_INDEX',
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_COUNT',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'SLURM_ARRAY_TASK_STEP',
  'AWS_BATCH_JOB_ARRAY_INDEX',
  'AWS_BATCH_JOB_ARRAY_SIZE',
];

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
    ['none is set, with a count', { SLURM_ARRAY_TASK_COUNT: '16' }, 'auto/16', `--shard auto/16: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got none of them set`],
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

describe('tfjs-rnn run --shard auto', () => {
  const saved = Object.fromEntries(SCHEDULER_VARIABLES.map((name) => [name, process.env[name]]));
  let dir: string;

  beforeEach(async () => {
    SCHEDULER_VARIABLES.forEach((name) => delete process.env[name]);
    dir = await makeTempDir();
  });

  afterEach(async () => {
    SCHEDULER_VARIABLES.forEach((name) => (saved[name] === undefined ? delete process.env[name] : (process.env[name] = saved[name])));
    await removeTempDir(dir);
  });

  it('prints the shard chosen and where it came from in the summary line', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3, batchFirst: true });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([16, 4, 2]));
    Object.assign(process.env, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' });
    const result = await runCli(['run', '--workers', '1', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--shard', 'auto']);
    expect(result).toEqual({
      code: 0,
      stdout: '',
      stderr: expect.stringMatching(/^4 sequences in .*, 1 worker; shard 3\/4, rows \[12, 16\), from Slurm job array \(SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4\)\n$/),
    });
  });

  it('exits 2 with one line naming the variables when none is set, writing nothing', async () => {
    const model = await writeModel(dir, { inputSize: 2, hiddenSize: 3 });
    const input = await writeNpy(dir, 'x.npy', sequenceArray([4, 16, 2]));
    const before = await listDir(dir);
    const result = await runCli(['run', '--weights', model.weights, '--config', model.config, '--input', input, '--output', join(dir, 'out.npy'), '--shard', 'auto']);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `tfjs-rnn run: --shard auto: expected a scheduler's task index in the environment: ${LOOKED_FOR}, got none of them set\n` });
    expect(await listDir(dir)).toEqual(before);
  });
});
