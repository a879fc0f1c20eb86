import * as os from 'os';
import { extname, join } from 'path';
import { Worker } from 'worker_threads';

/**
 * Chunk worker threads (`worker.ts`), started as early as the command line allows: loading
 * tfjs, its wasm backend and this package takes a worker thread about as long as it takes the
 * main thread, so the CLI starts them before it loads anything itself (`tfjs-rnn run` and
 * `check` with more than one worker), and the pool adopts them once the job is open. The
 * threads only load code until they are given a setup; this module loads none.
 */

/** Marks the `workerData` of a chunk worker, so that `worker.ts` serves only when started by this package. */
export const WORKER_MARKER = 'tfjs-rnn/chunk-worker';

/** Starts the worker script: the compiled `worker.js`, or `worker.ts` through ts-node when running from source. */
export function startWorker(): Worker {
  const workerData = { marker: WORKER_MARKER };
  if (extname(__filename) !== '.ts') return new Worker(join(__dirname, 'worker.js'), { workerData });
  const source = `require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return new Worker(source, { eval: true, workerData });
}

/** The machine's cores, as `--workers` counts them. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Commands that compute chunks on worker threads. */
const CHUNK_COMMANDS = ['run', 'check'];

/**
 * The worker threads a command line will ask for, as far as `argv` (without node and the
 * script) shows before its flags are checked: `run` or `check` with `--workers n` (or
 * `--workers=n`; the cores when absent), capped by the cores, minus the main thread. 0 for
 * anything else (another command, `--help`, a value that is not a number); the flags are
 * checked later, and a thread not needed then is stopped.
 */
export function expectedWorkerThreads(argv: readonly string[], cores: number): number {
  const [command, ...rest] = argv;
  if (!CHUNK_COMMANDS.includes(command) || rest.some((arg) => arg === '--help' || arg === '-h')) return 0;
  const at = rest.findIndex((arg) => arg === '--workers' || arg.startsWith('--workers='));
  const text = at < 0 ? undefined : rest[at].startsWith('--workers=') ? rest[at].slice('--workers='.length) : (rest[at + 1] ?? '');
  const workers = text === undefined ? cores : Number(text);
  return Number.isInteger(workers) && workers > 1 ? Math.min(workers, cores) - 1 : 0;
}

/** Threads started early and not yet taken; they do not keep the process alive. */
const early: Array<{ worker: Worker; exited: boolean }> = [];

/** Starts `count` worker threads now, for `takeWorker`; they do not keep the process alive until taken. */
export function startWorkersEarly(count: number): void {
  for (let i = 0; i < count; i++) {
    const entry = { worker: startWorker(), exited: false };
    // A thread that fails while loading is not taken: `takeWorker` starts another, whose failure the pool sees.
    entry.worker.on('error', () => undefined);
    entry.worker.on('exit', () => (entry.exited = true));
    entry.worker.unref();
    early.push(entry);
  }
}

/** A worker thread for the pool: one started early and still alive when there is one, else a new one. */
export function takeWorker(): Worker {
  for (let entry = early.shift(); entry !== undefined; entry = early.shift()) {
    if (entry.exited) continue;
    entry.worker.removeAllListeners('error');
    entry.worker.removeAllListeners('exit');
    entry.worker.ref();
    return entry.worker;
  }
  return startWorker();
}

/** Stops the threads started early that no pool took. */
export async function stopEarlyWorkers(): Promise<void> {
  await Promise.all(early.splice(0).map(({ worker }) => worker.terminate()));
}
