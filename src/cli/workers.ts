import { Worker } from 'worker_threads';
import { join } from 'path';
import { BackendName } from '../backend';
import { RNNError } from '../errors';
import { Chunk, ChunkOutputs, Implementation, createChunkRunner } from './chunkRunner';
import { ModelSpec } from './modelFile';

/**
 * Where chunks are computed: on this thread (one worker), or spread over `worker_threads`,
 * each building the same models on the same backend and computing whole chunks with the
 * same code, so the results do not depend on the number of workers.
 */

/** Marks the `workerData` of a chunk worker, so that `worker.ts` serves only when started by this pool. */
export const WORKER_MARKER = 'tfjs-rnn/chunk-worker';

export interface WorkerSetup {
  marker: typeof WORKER_MARKER;
  spec: ModelSpec;
  implementations: Implementation[];
  backend: BackendName;
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

/** A pool of one: the models run on the calling thread, on its active backend. */
export function inProcessPool(spec: ModelSpec, implementations: Implementation[]): ChunkPool {
  const runner = createChunkRunner(spec, implementations);
  return {
    size: 1,
    run: async (chunk) => {
      await nextTurn();
      return runner.run(chunk);
    },
    close: async () => runner.dispose(),
  };
}

/** Starts the worker script: the compiled `worker.js`, or `worker.ts` through ts-node when running from source. */
function startWorker(setup: WorkerSetup): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(join(__dirname, 'worker.js'), { workerData: setup });
  const source = `require(${JSON.stringify(require.resolve('ts-node/register/transpile-only'))}); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return new Worker(source, { eval: true, workerData: setup });
}

/** Waits for a worker's first message: ready, or the error that stopped its setup. */
function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { ready: boolean; error?: WorkerFailure }) =>
      message.ready ? resolve() : reject(toError(message.error as WorkerFailure)),
    );
    worker.once('error', reject);
  });
}

interface Task {
  chunk: Chunk;
  resolve: (outputs: ChunkOutputs) => void;
  reject: (error: Error) => void;
}

/** The buffers of a chunk, moved (not copied) to the worker. */
function transferList(chunk: Chunk): ArrayBuffer[] {
  return [chunk.input.data, chunk.h0?.data, chunk.lengths].flatMap((array) => (array ? [array.buffer as ArrayBuffer] : []));
}

/** `size` worker threads computing chunks with `implementations` of `spec` on `backend`. */
export async function workerPool(size: number, spec: ModelSpec, implementations: Implementation[], backend: BackendName): Promise<ChunkPool> {
  const workers = Array.from({ length: size }, () => startWorker({ marker: WORKER_MARKER, spec, implementations, backend }));
  try {
    await Promise.all(workers.map(whenReady));
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  const idle = [...workers];
  const queue: Task[] = [];
  const busy = new Map<Worker, Task>();
  let failure: Error | undefined;
  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop() as Worker;
      const task = queue.shift() as Task;
      busy.set(worker, task);
      worker.postMessage({ chunk: task.chunk }, transferList(task.chunk));
    }
  };
  const fail = (error: Error): void => {
    failure = failure ?? error;
    [...busy.values(), ...queue.splice(0)].forEach((task) => task.reject(error));
    busy.clear();
  };
  for (const worker of workers) {
    worker.on('message', ({ outputs, error }: { outputs?: ChunkOutputs; error?: WorkerFailure }) => {
      const task = busy.get(worker);
      busy.delete(worker);
      idle.push(worker);
      if (error !== undefined) task?.reject(toError(error));
      else task?.resolve(outputs as ChunkOutputs);
      dispatch();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => code !== 0 && fail(new Error(`a worker thread exited with code ${code}`)));
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
      workers.forEach((worker) => worker.removeAllListeners('exit'));
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
