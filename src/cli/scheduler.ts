import { ArgumentError } from '../errors';

/**
 * The shard a batch scheduler gives the task it runs. Each task of an array job sees its
 * position in the array in its environment, and most see the array's size:
 *
 * - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (the count is the Job's `completions`, not
 *   in the environment);
 * - Slurm job array: `SLURM_ARRAY_TASK_ID`, and `SLURM_ARRAY_TASK_COUNT` or
 *   `SLURM_ARRAY_TASK_MIN`/`MAX` (`STEP`): the index is the task's position in the array,
 *   `(ID − MIN) / STEP`, so `--array=0-15` and `--array=1-16` both give shards 0 to 15 of 16;
 * - AWS Batch array job: `AWS_BATCH_JOB_ARRAY_INDEX`, `AWS_BATCH_JOB_ARRAY_SIZE`.
 */

/** Environment variables: `process.env`, or a stand-in in tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Shard `index` of `count` read from a scheduler's variables; `source` names them. */
export interface ScheduledShard {
  index: number;
  count: number;
  source: string;
}

/** What one scheduler's variables say: the index, the count when they give one, and those set. */
interface Reading {
  scheduler: string;
  index: number;
  count?: number;
  variables: string[];
}

/** Reads a non-negative integer variable; undefined when unset or empty. */
type IntegerVariable = (name: string) => number | undefined;

interface Scheduler {
  name: string;
  /** The index variable first: a task runs under this scheduler when it is set. */
  variables: string[];
  read(variable: IntegerVariable): { index: number; count?: number };
}

const SLURM = {
  id: 'SLURM_ARRAY_TASK_ID',
  count: 'SLURM_ARRAY_TASK_COUNT',
  min: 'SLURM_ARRAY_TASK_MIN',
  max: 'SLURM_ARRAY_TASK_MAX',
  step: 'SLURM_ARRAY_TASK_STEP',
};

/**
 * A Slurm task's position `(ID − MIN) / STEP` in the array (MIN 0 and STEP 1 when unset), and
 * the array's size: COUNT, or `floor((MAX − MIN) / STEP) + 1`; both must agree when both are
 * set (an array of listed IDs, `--array=1,5,9`, is not a range).
 */
function slurmShard(variable: IntegerVariable): { index: number; count?: number } {
  const id = variable(SLURM.id) as number;
  const min = variable(SLURM.min) ?? 0;
  const max = variable(SLURM.max);
  const step = variable(SLURM.step) ?? 1;
  const count = variable(SLURM.count);
  const array = `${min}-${max ?? ''}:${step}`;
  if (step < 1) throw new ArgumentError(SLURM.step, 'a step of at least 1', `${step}`);
  if (id < min || (max !== undefined && id > max) || (id - min) % step !== 0) {
    throw new ArgumentError(SLURM.id, `a task of the array ${array} (${SLURM.min}-${SLURM.max}:${SLURM.step})`, `${id}`);
  }
  const span = max === undefined ? undefined : Math.floor((max - min) / step) + 1;
  if (count !== undefined && span !== undefined && count !== span) {
    throw new ArgumentError(SLURM.count, `${span}, the tasks of the range ${array} (a list of task IDs is not a range: pass --shard i/n)`, `${count}`);
  }
  return { index: (id - min) / step, count: count ?? span };
}

const SCHEDULERS: Scheduler[] = [
  { name: 'Kubernetes Indexed Job', variables: ['JOB_COMPLETION_INDEX'], read: (variable) => ({ index: variable('JOB_COMPLETION_INDEX') as number }) },
  { name: 'Slurm job array', variables: Object.values(SLURM), read: slurmShard },
  {
    name: 'AWS Batch array job',
    variables: ['AWS_BATCH_JOB_ARRAY_INDEX', 'AWS_BATCH_JOB_ARRAY_SIZE'],
    read: (variable) => ({ index: variable('AWS_BATCH_JOB_ARRAY_INDEX') as number, count: variable('AWS_BATCH_JOB_ARRAY_SIZE') }),
  },
];

/** Every scheduler's variables, for the message when none is set. */
const LOOKED_FOR = SCHEDULERS.map(({ name, variables }) => `${variables.join(', ')} (${name})`).join('; ');

function isSet(env: Environment, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

/** What `scheduler`'s variables in `env` say, or undefined when its index variable is not set. */
function readScheduler(env: Environment, scheduler: Scheduler): Reading | undefined {
  if (!isSet(env, scheduler.variables[0])) return undefined;
  const variable: IntegerVariable = (name) => {
    if (!isSet(env, name)) return undefined;
    const text = env[name] as string;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new ArgumentError(name, 'a non-negative integer', `'${text}'`);
    return value;
  };
  const variables = scheduler.variables.filter((name) => isSet(env, name)).map((name) => `${name}=${env[name]}`);
  return { scheduler: scheduler.name, ...scheduler.read(variable), variables };
}

/** Whether both give a count and the counts differ. */
function countsDiffer(a: Reading, b: Reading): boolean {
  return a.count !== undefined && b.count !== undefined && a.count !== b.count;
}

function describeReading(reading: Reading): string {
  return `${reading.scheduler} (${reading.variables.join(' ')})`;
}

/**
 * The shard of `--shard auto` (`count` undefined) or `--shard auto/n` (`flag` as given): index
 * and count from the variables of whichever scheduler is present in `env`. Refused, naming the
 * variables: none set, schedulers or variables that disagree, a count the flag gives and the
 * scheduler contradicts, no count at all (Kubernetes: pass auto/n), an index not below the count.
 */
export function schedulerShard(env: Environment, count: number | undefined, flag: string): ScheduledShard {
  const readings = SCHEDULERS.flatMap((scheduler) => readScheduler(env, scheduler) ?? []);
  if (readings.length === 0) {
    // A scheduler's other variables without its index: say which are set and which is missing.
    const partial = SCHEDULERS.flatMap(({ name, variables: [index, ...others] }) => {
      const set = others.filter((variable) => isSet(env, variable)).map((variable) => `${variable}=${env[variable]}`);
      return set.length === 0 ? [] : [`${set.join(' ')} (${name}) set without ${index}`];
    });
    throw new ArgumentError(flag, `a scheduler's task index in the environment: ${LOOKED_FOR}`, partial.length === 0 ? 'none of them set' : partial.join('; '));
  }
  const pairs = readings.flatMap((a, i) => readings.slice(i + 1).map((b) => [a, b] as const));
  const disagreeing = pairs.find(([a, b]) => a.index !== b.index || countsDiffer(a, b));
  if (disagreeing !== undefined) {
    throw new ArgumentError(flag, 'one shard from the environment', `${describeReading(disagreeing[0])} and ${describeReading(disagreeing[1])}`);
  }
  const first = readings[0];
  const given = readings.find((reading) => reading.count !== undefined);
  if (count !== undefined && given !== undefined && given.count !== count) {
    throw new ArgumentError(flag, `the count the scheduler gives, ${given.count}: ${describeReading(given)}`, `${count}`);
  }
  const total = count ?? given?.count;
  if (total === undefined) {
    throw new ArgumentError(flag, `a shard count: ${describeReading(first)} gives the index only (pass --shard auto/n, n the number of tasks)`, 'none');
  }
  if (first.index >= total) throw new ArgumentError(flag, `a task index below the count ${total}`, describeReading(first));
  return { index: first.index, count: total, source: readings.map(describeReading).join(', ') };
}
