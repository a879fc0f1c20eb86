import { Worker } from 'worker_threads';
import { BackendName } from '../backend';
import { StepLoop } from '../manual';
import { RNNError } from '../errors';
import { BufferPool } from './bufferPool';
import { Chunk, ChunkAxes, ChunkOutputs, Implementation, chunkRows, createChunkRunner, sliceChunk } from './chunkRunner';
import { ModelSpec, WholeModelFile } from './modelFile';
import { RowRange } from './pipeline';
import { takeWorker } from './workerThreads';

/**
 * Where chunks are computed: on this thread and on `worker_threads`, each building the same
 * models on the same backend and computing chunks with the same code, so the results do not
 * depend on the number of workers.
 *
 * The threads share one queue: each chunk's arrays sit in `SharedArrayBuffer`s that every
 * thread reads in place, every chunk is posted to every worker as soon as it is queued, and
 * threads take its rows through the chunk's shared cursor (`Atomics.add`): a worker takes all
 * the rows left, this thread a slice at a time. So a worker takes its next rows the moment it
 * is free, without waiting for this thread (busy computing a slice) to hand it any, and at the
 * end of a run no thread sits idle while another holds rows it has not begun. Rows are
 * computed independently, so the parts are the bits of the whole chunk's rows; each is
 * handed on as soon as it is computed, never joined.
 *
 * Nothing large is allocated per chunk in the steady state: each thread reads its outputs
 * into buffers it reuses (`BufferPool`); a worker's buffers move to this thread with its
 * answer and back once the outputs are written (`{recycle}`).
 */

/** What a worker thread is given to build its models (`{setup}`, its first message). */
export interface WorkerSetup {
  spec: ModelSpec | WholeModelFile;
  /** The chunks' batch axes, along which a worker takes the rows left of a chunk. */
  axes: ChunkAxes;
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

/** A chunk as posted to the workers: its id, its arrays (shared, not copied), its rows and their cursor. */
export interface ChunkTask {
  id: number;
  chunk: Chunk;
  /** The chunk's sequences (`chunkRows`). */
  rows: number;
  /** `Int32Array(1)` on a `SharedArrayBuffer`: the first row no thread has taken yet. */
  cursor: Int32Array;
}

/** Takes up to `count` rows of `task` that no thread has taken: `[start, end)`, or undefined when none is left. */
export function takeRows(task: ChunkTask, count: number): RowRange | undefined {
  const start = Atomics.add(task.cursor, 0, count);
  return start >= task.rows ? undefined : { start, end: Math.min(task.rows, start + count) };
}

/** Rows `range` of `task`'s chunk: the chunk itself when they are all of its rows. */
export function chunkPart(axes: ChunkAxes, task: ChunkTask, range: RowRange): Chunk {
  return range.start === 0 && range.end === task.rows ? task.chunk : sliceChunk(axes, task.chunk, range.start, range.end);
}

/** What a worker answers for the rows `range` it took of a chunk: their outputs (buffers moved, not copied, to be sent back in a `{recycle}` once read), or the error. */
export interface WorkerAnswer {
  id: number;
  range: RowRange;
  outputs?: ChunkOutputs;
  error?: WorkerFailure;
}

/** The buffers of a chunk's outputs: moved (not copied) between threads, and reused once read. */
export function outputBuffers(outputs: ChunkOutputs): ArrayBuffer[] {
  return Object.values(outputs).flatMap((result) => [result.output, result.hN, result.cN].flatMap((array) => (array ? [array.data.buffer as ArrayBuffer] : [])));
}

/** Rows `range` of a chunk as one thread computed them, and their outputs (valid until the handler returns: their buffers are reused). */
export interface ChunkPart {
  range: RowRange;
  outputs: ChunkOutputs;
}

/** Computes chunks; `size` threads at a time. */
export interface ChunkPool {
  readonly size: number;
  /**
   * Computes `chunk`, whose arrays must be on `SharedArrayBuffer`s when `size` > 1, handing
   * each part to `handle` as soon as it is computed (in any order); resolves once every row
   * is handled and no thread reads the chunk any more. An error `handle` throws fails the chunk.
   */
  run(chunk: Chunk, handle: (part: ChunkPart) => void): Promise<void>;
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

interface PendingTask extends ChunkTask {
  handle: (part: ChunkPart) => void;
  /** Rows handled so far. */
  done: number;
  resolve: () => void;
  reject: (error: Error) => void;
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
 * thread computes from the first chunk while the workers finish loading; then every thread
 * takes rows no other has taken when it is free (a worker all the rows left of a chunk, this
 * thread a slice). `axes` are the chunks' batch axes, along which they are cut. A worker that
 * fails to start or dies fails every pending chunk.
 */
export function chunkPool(size: number, spec: ModelSpec | WholeModelFile, implementations: Implementation[], backend: BackendName, loop: StepLoop, axes: ChunkAxes): ChunkPool {
  const runner = createChunkRunner(spec, implementations, loop);
  /** The buffers of the outputs computed on this thread. */
  const buffers = new BufferPool(false);
  const setup: WorkerSetup = { spec, axes, implementations, backend, loop };
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
  const failTask = (task: PendingTask, error: Error): void => {
    pending.delete(task.id);
    task.reject(error);
  };
  /** Hands `part` of `task` on, then `release`s its buffers; resolves the task once its parts cover all its rows. */
  const addPart = (task: PendingTask, part: ChunkPart, release: () => void): void => {
    if (!pending.has(task.id)) return; // Failed already.
    try {
      task.handle(part);
    } catch (error) {
      failTask(task, error as Error);
      return;
    }
    release();
    task.done += part.range.end - part.range.start;
    if (task.done < task.rows) return;
    pending.delete(task.id);
    task.resolve();
  };
  /** Time per row on this thread, measured from one slice to the next. */
  let msPerRow: number | undefined;
  /**
   * Computes the rows of the queued chunks that no worker has taken, on this thread, a slice of
   * about `SLICE_MILLISECONDS` per turn of the event loop, until none is left.
   */
  const computeHere = async (): Promise<void> => {
    computingHere = true;
    try {
      for (await nextTurn(); queue.length > 0; await nextTurn()) {
        const task = queue[0];
        const size = msPerRow === undefined ? FIRST_SLICE_ROWS : Math.max(1, Math.floor(SLICE_MILLISECONDS / msPerRow));
        const range = pending.has(task.id) ? takeRows(task, size) : undefined;
        if (range === undefined || range.end === task.rows) queue.shift();
        if (range === undefined) continue;
        const began = performance.now();
        let outputs: ChunkOutputs;
        try {
          outputs = runner.run(chunkPart(axes, task, range), buffers);
        } catch (error) {
          failTask(task, error as Error);
          continue;
        }
        msPerRow = Math.max(performance.now() - began, 1e-3) / (range.end - range.start);
        addPart(task, { range, outputs }, () => outputBuffers(outputs).forEach((buffer) => buffers.give(buffer)));
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
      if (message.error !== undefined) failTask(task, toError(message.error));
      else {
        const outputs = message.outputs as ChunkOutputs;
        addPart(task, { range: message.range, outputs }, () => {
          const recycle = outputBuffers(outputs);
          worker.postMessage({ recycle }, recycle);
        });
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => code !== 0 && fail(new Error(`a worker thread exited with code ${code}`)));
    worker.postMessage({ setup });
  }
  return {
    size,
    run(chunk, handle) {
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const shared = workers.length > 0 ? sharedLengths(chunk) : chunk;
        const cursor = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
        const task: PendingTask = { id: nextId++, chunk: shared, rows: chunkRows(axes, chunk), cursor, handle, done: 0, resolve, reject };
        pending.set(task.id, task);
        queue.push(task);
        const posted: ChunkTask = { id: task.id, chunk: task.chunk, rows: task.rows, cursor };
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
