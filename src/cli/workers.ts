import { Worker } from 'worker_threads';
import { join } from 'path';
import { BackendName } from '../backend';
import { StepLoop } from '../manual';
import { RNNError } from '../errors';
import { Chunk, ChunkOutputs, ChunkRunner, Implementation, createChunkRunner, isBatchedChunk, joinChunkOutputs, sliceChunk } from './chunkRunner';
import { ModelSpec, WholeModelFile } from './modelFile';

/**
 * Where chunks are computed: on this thread and on `worker_threads`, each building the same
 * models on the same backend and computing whole chunks with the same code, so the results
 * do not depend on the number of workers.
 */

/** Marks the `workerData` of a chunk worker, so that `worker.ts` serves only when started by this pool. */
export const WORKER_MARKER = 'tfjs-rnn/chunk-worker';

export interface WorkerSetup {
  marker: typeof WORKER_MARKER;
  spec: ModelSpec | WholeModelFile;
  implementations: Implementation[];
  backend: BackendName;
  /** How the hand-written model runs its steps (`--loop`). */
  loop: StepLoop;
}

/** An error as it crosses threads; `userError` when it is one of this package's (bad input). */
export interface WorkerFailure {
  message: string;
  userError: boolean;
}

export function describeFailure(error: unknown): WorkerFailure {
  return { message: error instanceof Error ? error.message : String(error), userError: error instanceof RNNError };
}

function toError(failure: WorkerFailure): Error {
  return failure.userError ? new RNNError(failure.message) : new Error(failure.message);
}

/** Computes chunks; `size` of them at a time. */
export interface ChunkPool {
  readonly size: number;
  run(chunk: Chunk): Promise<ChunkOutputs>;
  close(): Promise<void>;
}

/** Resolves on the next turn of the event loop, so that signals and I/O are served between chunks. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Time this thread computes between turns of the event loop: its chunks are computed a slice of
 * rows at a time, so that a signal (SIGINT, SIGTERM, SIGHUP) is served within about this long
 * even when one chunk takes seconds. Rows are computed independently, so the results are the
 * same bits however a chunk is sliced (as for any --batch-size).
 */
export const SLICE_MILLISECONDS = 200;

/** Rows of the first slice, before a slice's time is known. */
const FIRST_SLICE_ROWS = 8;

/**
 * Computes `chunk` with `runner` in slices of rows of about `SLICE_MILLISECONDS` each, yielding
 * to the event loop between them; `pace` carries the time per row measured from one chunk to
 * the next.
 */
async function computeInSlices(runner: ChunkRunner, spec: ModelSpec | WholeModelFile, chunk: Chunk, pace: { msPerRow?: number }): Promise<ChunkOutputs> {
  // A whole model's chunk runs in one piece: its output's batch axis depends on the spec's last layer.
  if (!('config' in spec)) return runner.run(chunk);
  const rows = isBatchedChunk(chunk) ? chunk.input.shape[spec.config.batchFirst ? 0 : 1] : 1;
  const parts: ChunkOutputs[] = [];
  for (let start = 0; start < rows; ) {
    const size = pace.msPerRow === undefined ? FIRST_SLICE_ROWS : Math.max(1, Math.floor(SLICE_MILLISECONDS / pace.msPerRow));
    const end = Math.min(rows, start + size);
    if (start > 0) await nextTurn();
    const began = performance.now();
    parts.push(start === 0 && end === rows ? runner.run(chunk) : runner.run(sliceChunk(spec, chunk, start, end)));
    pace.msPerRow = Math.max(performance.now() - began, 1e-3) / (end - start);
    start = end;
  }
  return parts.length === 1 ? parts[0] : joinChunkOutputs(spec, chunk, parts);
}

/** Starts the worker script: the compiled `worker.js`, or `worker.ts` through ts-node when running from source. */
function startWorker(setup: WorkerSetup): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, 'worker.js'), { workerData: setup });
  const source = `require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return new Worker(source, { eval: true, workerData: setup });
}

interface Task {
  chunk: Chunk;
  resolve: (outputs: ChunkOutputs) => void;
  reject: (error: Error) => void;
}

/** The buffers of a chunk, moved (not copied) to the worker. */
function transferList(chunk: Chunk): ArrayBuffer[] {
  return [chunk.input.data, chunk.h0?.data, chunk.c0?.data, chunk.lengths].flatMap((array) => (array ? [array.buffer as ArrayBuffer] : []));
}

/**
 * Chunks sent ahead to a worker thread: one computing, one waiting in its port, so that it
 * never idles while this thread is busy computing a chunk of its own.
 */
const QUEUED_PER_WORKER = 2;

/** A worker thread and the tasks sent to it, answered in the order sent. */
interface ThreadSlot {
  worker: Worker;
  ready: boolean;
  sent: Task[];
}

/**
 * `size` threads computing chunks with `implementations` of `spec`: this one, on its active
 * backend, and `size − 1` worker threads on `backend`, all with the same code, so the results
 * do not depend on `size`. This thread computes from the first chunk while the worker threads
 * load (their start-up costs about as much as a few chunks); each worker takes queued chunks
 * once it is ready. A worker that fails to start or dies fails every pending chunk.
 */
export function chunkPool(size: number, spec: ModelSpec | WholeModelFile, implementations: Implementation[], backend: BackendName, loop: StepLoop): ChunkPool {
  const runner = createChunkRunner(spec, implementations, loop);
  const setup: WorkerSetup = { marker: WORKER_MARKER, spec, implementations, backend, loop };
  const threads: ThreadSlot[] = Array.from({ length: size - 1 }, () => ({ worker: startWorker(setup), ready: false, sent: [] }));
  const queue: Task[] = [];
  let failure: Error | undefined;
  let computingHere = false;

  const fail = (error: Error): void => {
    failure = failure ?? error;
    const pending = [...threads.flatMap((thread) => thread.sent.splice(0)), ...queue.splice(0)];
    pending.forEach((task) => task.reject(error));
  };
  const dispatch = (): void => {
    for (const thread of threads) {
      while (thread.ready && thread.sent.length < QUEUED_PER_WORKER && queue.length > 0) {
        const task = queue.shift() as Task;
        thread.sent.push(task);
        thread.worker.postMessage({ chunk: task.chunk }, transferList(task.chunk));
      }
    }
    if (!computingHere && queue.length > 0) void computeHere();
  };
  const pace: { msPerRow?: number } = {};
  /** Takes queued chunks on this thread, a slice of rows per turn of the event loop, until none is left. */
  const computeHere = async (): Promise<void> => {
    computingHere = true;
    try {
      for (await nextTurn(); queue.length > 0; await nextTurn()) {
        const task = queue.shift() as Task;
        try {
          task.resolve(await computeInSlices(runner, spec, task.chunk, pace));
        } catch (error) {
          task.reject(error as Error);
        }
      }
    } finally {
      computingHere = false;
    }
  };
  for (const thread of threads) {
    thread.worker.on('message', (message: { ready?: boolean; outputs?: ChunkOutputs; error?: WorkerFailure }) => {
      if (message.ready !== undefined) {
        if (!message.ready) fail(toError(message.error as WorkerFailure));
        thread.ready = message.ready;
      } else {
        const task = thread.sent.shift();
        if (message.error !== undefined) task?.reject(toError(message.error));
        else task?.resolve(message.outputs as ChunkOutputs);
      }
      dispatch();
    });
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => code !== 0 && fail(new Error(`a worker thread exited with code ${code}`)));
  }
  return {
    size,
    run(chunk) {
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        queue.push({ chunk, resolve, reject });
        dispatch();
      });
    },
    async close() {
      threads.forEach(({ worker }) => worker.removeAllListeners('exit'));
      await Promise.all(threads.map(({ worker }) => worker.terminate()));
      runner.dispose();
    },
  };
}
