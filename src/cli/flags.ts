import { parseArgs } from 'util';
import { BACKEND_NAMES, BackendName } from '../backend';
import { ArgumentError } from '../errors';
import { STEP_LOOPS, StepLoop } from '../manual/plan';
import { IMPLEMENTATIONS, Implementation } from './chunkRunner';
import { PROGRESS_STYLES, ProgressStyle } from './progress';
import { availableCores } from './workerThreads';

/** A command line the command cannot run: unknown flag, missing or malformed value. Printed with the usage. */
export class UsageError extends ArgumentError {}

/** What a command does with the file a flag names: reads it, or writes it (see `checkOutputFiles`). */
export type FileRole = 'input' | 'output';

/** Flags for `util.parseArgs`; `file` marks a flag that names a file. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; file?: FileRole }>;
export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * `--flag -1` as `--flag=-1` for a flag taking a value: `util.parseArgs` refuses a value
 * starting with `-` as ambiguous, but a negative number must reach the flag's own check.
 */
function joinNegativeValues(argv: string[], spec: FlagSpec): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...joined, ...argv.slice(i)];
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
    const takesValue = Object.prototype.hasOwnProperty.call(spec, name) && spec[name].type === 'string';
    if (takesValue && /^-[\d.]/.test(argv[i + 1] ?? '')) joined.push(`${argv[i]}=${argv[++i]}`);
    else joined.push(argv[i]);
  }
  return joined;
}

/**
 * Parses `argv` against `spec` with node's `util.parseArgs` (strict), each flag at most once,
 * and `positionals` by name (a last name ending in `...` takes one or more); any problem is a
 * `UsageError`.
 */
export function parseFlags(argv: string[], spec: FlagSpec, positionals: string[] = []): { values: FlagValues; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, spec), options: spec, strict: true, allowPositionals: positionals.length > 0, tokens: true });
  } catch (error) {
    throw new UsageError('arguments', 'the flags listed below', (error as Error).message);
  }
  const options = parsed.tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : []));
  const repeated = options.find((name, index) => options.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw new UsageError(`--${repeated}`, 'the flag once', `it ${options.filter((name) => name === repeated).length} times`);
  }
  const variadic = positionals.length > 0 && positionals[positionals.length - 1].endsWith('...');
  if (variadic ? parsed.positionals.length < positionals.length : parsed.positionals.length !== positionals.length) {
    const expected = positionals.length === 0 ? 'no positional argument' : positionals.join(' ');
    throw new UsageError('arguments', expected, parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' '));
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals };
}

/** The `--${flag}-key` given with `--${flag}` (the array of an .npz), as `openArraySource` takes it. */
export function arrayKey(values: FlagValues, flag: string): { flag: string; value: string } | undefined {
  const value = optionalString(values, `${flag}-key`);
  return value === undefined ? undefined : { flag: `--${flag}-key`, value };
}

export function optionalString(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(values: FlagValues, name: string): string {
  const value = optionalString(values, name);
  if (value === undefined || value === '') throw new UsageError(`--${name}`, 'a value', 'nothing');
  return value;
}

/** A positive integer flag, `fallback` when absent. */
export function positiveInteger(values: FlagValues, name: string, fallback: number): number {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${name}`, 'a positive integer', `'${text}'`);
  return value;
}

/** A non-negative decimal number (`0.001`, `1e-5`), as a tolerance is written. */
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A non-negative decimal number flag (no hex, no `Infinity`), `fallback` when absent. */
export function nonNegativeNumber(values: FlagValues, name: string, fallback: number): number {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isFinite(value)) throw new UsageError(`--${name}`, 'a non-negative decimal number', `'${text}'`);
  return value;
}

/** One of `choices`, `fallback` when absent. */
export function choice<T extends string>(values: FlagValues, name: string, choices: readonly T[], fallback: T | undefined): T | undefined {
  const value = optionalString(values, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name}`, `one of ${choices.join(', ')}`, `'${value}'`);
  return value as T;
}

export function backendFlag(values: FlagValues): BackendName | undefined {
  return choice(values, 'backend', BACKEND_NAMES, undefined);
}

/** `--loop`: how the hand-written model runs its steps (`ManualOptions.loop`), `'auto'` when absent. */
export function loopFlag(values: FlagValues): StepLoop {
  return choice(values, 'loop', STEP_LOOPS, 'auto') as StepLoop;
}

/** `--progress`, `auto` when absent; `--quiet` is `--progress none` and goes with no other. */
export function progressFlag(values: FlagValues): ProgressStyle {
  const style = choice(values, 'progress', PROGRESS_STYLES, undefined);
  if (values.quiet !== true) return style ?? 'auto';
  if (style !== undefined && style !== 'none') throw new UsageError('--quiet', 'no --progress but none (it means --progress none)', `--progress ${style}`);
  return 'none';
}

export function implementationFlag(values: FlagValues): Implementation {
  return choice(values, 'impl', IMPLEMENTATIONS, 'manual') as Implementation;
}

/**
 * `--workers`, by default one per core (`availableCores`: `os.availableParallelism` where node has it, node ≥ 18.14).
 * More than the cores would not run faster, and each worker holds a model and chunks in memory:
 * they are capped to the cores, and `notice` says so.
 */
export function workersFlag(values: FlagValues, notice: (message: string) => void): number {
  const cores = availableCores();
  const workers = positiveInteger(values, 'workers', cores);
  if (workers <= cores) return workers;
  notice(`--workers: ${workers} is more than the ${cores} cores; using ${cores}`);
  return cores;
}
