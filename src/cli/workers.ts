import { Worker } from 'worker_threads';
import { BackendName } from '../backend';
import { StepLoop } from '../manual';
import { RNNError } from '../errors';
import { Chunk, ChunkAxes, ChunkOutputs, ChunkRunner, Implementation, chunkRows, createChunkRunner, joinChunkOutputs, sliceChunk } from './chunkRunner';
import { ModelSpec, WholeModelFile } from './modelFile';
import { takeWorker } from './workerThreads';

/**
 * Where chunks are computed: on this thread and on `worker_threads`, each building the same
 * models on the same backend and computing chunks with the same code, so the results do not
 * depend on the number of workers.
 *
 * The threads share one queue: each chunk's arrays sit in `SharedArrayBuffer`s that every
 * thread reads in place, every chunk is posted to every worker as soon as it is queued, and
 * whichever thread claims it first (an atomic compare-and-swap on the chunk's claim cell)
 * computes it; the others pass over it. So a worker takes its next chunk the moment it is
 * free, without waiting for this thread (busy computing a slice of its own) to hand it one,
 * and no thread sits idle while another holds chunks it has not begun.
 */

/** What a worker thread is given to build its models (`{setup}`, its first message). */
export interface WorkerSetup {
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

/** A chunk as posted to the workers: its id, its arrays (shared, not copied) and its claim cell. */
export interface ChunkTask {
  id: number;
  chunk: Chunk;
  /** `Int32Array(1)` on a `SharedArrayBuffer`: 0 while unclaimed, then the claiming thread's `CLAIMED_BY_*`. */
  claim: Int32Array;
}

export const CLAIMED_BY_MAIN = 1;
export const CLAIMED_BY_WORKER = 2;

/** Claims `task` for the calling thread (`by`); false when another thread claimed it first. */
export function claimTask(task: ChunkTask, by: number): boolean {
  return Atomics.compareExchange(task.claim, 0, 0, by) === 0;
}

/** What a worker answers for a chunk it claimed: its outputs (buffers moved, not copied), or the error. */
export interface WorkerAnswer {
  id: number;
  outputs?: ChunkOutputs;
  error?: WorkerFailure;
}

/** The buffers of a chunk's outputs, moved (not copied) back from a worker. */
export function outputBuffers(outputs: ChunkOutputs): ArrayBuffer[] {
  return Object.values(outputs).flatMap((result) => [result.output, result.hN, result.cN].flatMap((array) => (array ? [array.data.buffer as ArrayBuffer] : [])));
}

/** Computes chunks; `size` threads at a time. */
export interface ChunkPool {
  readonly size: number;
  /** Computes `chunk`, whose arrays must be on `SharedArrayBuffer`s when `size` > 1 (see `sharedFloat32Array`). */
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
 * Computes `chunk` with `runner` in slices of rows (along `axes`) of about `SLICE_MILLISECONDS`
 * each, yielding to the event loop between them; `pace` carries the time per row measured from
 * one chunk to the next. An unbatched chunk (one sequence) runs in one piece.
 */
async function computeInSlices(runner: ChunkRunner, axes: ChunkAxes, chunk: Chunk, pace: { msPerRow?: number }): Promise<ChunkOutputs> {
  const rows = chunkRows(axes, chunk);
  const parts: ChunkOutputs[] = [];
  for (let start = 0; start < rows; ) {
    const size = pace.msPerRow === undefined ? FIRST_SLICE_ROWS : Math.max(1, Math.floor(SLICE_MILLISECONDS / pace.msPerRow));
    const end = Math.min(rows, start + size);
    if (start > 0) await nextTurn();
    const began = performance.now();
    parts.push(start === 0 && end === rows ? runner.run(chunk) : runner.run(sliceChunk(axes, chunk, start, end)));
    pace.msPerRow = Math.max(performance.now() - began, 1e-3) / (end - start);
    start = end;
  }
  return parts.length === 1 ? parts[0] : joinChunkOutputs(axes, parts);
}

interface PendingTask extends ChunkTask {
  resolve: (outputs: ChunkOutputs) => void;
  reject: (error: Error) => void;
}

/** A float32 array of `length` zeros on a `SharedArrayBuffer`, which every thread of a pool reads in place. */
export function sharedFloat32Array(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** `chunk` with its lengths on a `SharedArrayBuffer` too (its arrays already are). */
function sharedLengths(chunk: Chunk): Chunk {
  if (chunk.lengths === undefined) return chunk;
  const lengths = new Int32Array(new SharedArrayBuffer(chunk.lengths.byteLength));
  lengths.set(chunk.lengths);
  return { ...chunk, lengths };
}

/**
 * `size` threads computing chunks with `implementations` of `spec`: this one, on its active
 * backend, and `size − 1` worker threads on `backend` (started early by the CLI when it could,
 * `workerThreads.ts`), all with the same code, so the results do not depend on `size`. This
 * thread computes from the first chunk while the workers finish loading; every thread then
 * takes the next unclaimed chunk when it is free. `axes` are the chunks' batch axes, along
 * which this thread slices its chunks. A worker that fails to start or dies fails every
 * pending chunk.
 */
export function chunkPool(size: number, spec: ModelSpec | WholeModelFile, implementations: Implementation[], backend: BackendName, loop: StepLoop, axes: ChunkAxes): ChunkPool {
  const runner = createChunkRunner(spec, implementations, loop);
  const setup: WorkerSetup = { spec, implementations, backend, loop };
  const workers: Worker[] = Array.from({ length: size - 1 }, () => takeWorker());
  /** Every chunk not yet answered, by id; `queue` holds them in order for this thread. */
  const pending = new Map<number, PendingTask>();
  const queue: PendingTask[] = [];
  let nextId = 0;
  let failure: Error | undefined;
  let computingHere = false;

  const fail = (error: Error): void => {
    failure = failure ?? error;
    queue.splice(0);
    pending.forEach((task) => task.reject(error));
    pending.clear();
  };
  const pace: { msPerRow?: number } = {};
  /** Claims and computes queued chunks on this thread, a slice of rows per turn of the event loop, until none is left. */
  const computeHere = async (): Promise<void> => {
    computingHere = true;
    try {
      for (await nextTurn(); queue.length > 0; await nextTurn()) {
        const task = queue.shift() as PendingTask;
        if (!claimTask(task, CLAIMED_BY_MAIN)) continue; // A worker has it.
        try {
          const outputs = await computeInSlices(runner, axes, task.chunk, pace);
          pending.delete(task.id);
          task.resolve(outputs);
        } catch (error) {
          pending.delete(task.id);
          task.reject(error as Error);
        }
      }
    } finally {
      computingHere = false;
    }
  };
  for (const worker of workers) {
    worker.on('message', (message: { ready: boolean; error?: WorkerFailure } | WorkerAnswer) => {
      if ('ready' in message) {
        if (!message.ready) fail(toError(message.error as WorkerFailure));
        return;
      }
      const task = pending.get(message.id);
      if (task === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) task.reject(toError(message.error));
      else task.resolve(message.outputs as ChunkOutputs);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => code !== 0 && fail(new Error(`a worker thread exited with code ${code}`)));
    worker.postMessage({ setup });
  }
  return {
    size,
    run(chunk) {
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const task: PendingTask = { id: nextId++, chunk: workers.length > 0 ? sharedLengths(chunk) : chunk, claim: new Int32Array(new SharedArrayBuffer(4)), resolve, reject };
        pending.set(task.id, task);
        queue.push(task);
        const posted: ChunkTask = { id: task.id, chunk: task.chunk, claim: task.claim };
        workers.forEach((worker) => worker.postMessage({ task: posted }));
        if (!computingHere) void computeHere();
      });
    },
    async close() {
      workers.forEach((worker) => worker.removeAllListeners('exit'));
      await Promise.all(workers.map((worker) => worker.terminate()));
      runner.dispose();
    },
  };
}
