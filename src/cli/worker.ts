import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend';
import { ChunkRunner, createChunkRunner } from './chunkRunner';
import { CLAIMED_BY_WORKER, ChunkTask, WorkerAnswer, WorkerSetup, claimTask, describeFailure, outputBuffers } from './workers';
import { WORKER_MARKER } from './workerThreads';

/**
 * A worker thread of `chunkPool`: loads this package as soon as it starts, waits for its
 * `{setup}`, builds the models once on the backend it names and says `{ready}`; then, for each
 * `{task}` in the order posted, claims the chunk (unless another thread did) and answers with
 * its outputs (or the error).
 */

async function prepare(setup: WorkerSetup): Promise<ChunkRunner> {
  await initBackend(setup.backend);
  return createChunkRunner(setup.spec, setup.implementations, setup.loop);
}

/** The answer to `task` computed by `runner`: the outputs and the buffers to move with them. */
function compute(runner: ChunkRunner, task: ChunkTask): { answer: WorkerAnswer; transfer: ArrayBuffer[] } {
  try {
    const outputs = runner.run(task.chunk);
    return { answer: { id: task.id, outputs }, transfer: outputBuffers(outputs) };
  } catch (error) {
    return { answer: { id: task.id, error: describeFailure(error) }, transfer: [] };
  }
}

function serve(port: NonNullable<typeof parentPort>): void {
  tf.env().set('PROD', true); // As on the main thread: no tfjs notices on the shared stderr.
  let runner: Promise<ChunkRunner> | undefined;
  port.on('message', (message: { setup: WorkerSetup } | { task: ChunkTask }) => {
    if ('setup' in message) {
      runner = prepare(message.setup);
      runner.then(
        () => port.postMessage({ ready: true }),
        (error: unknown) => port.postMessage({ ready: false, error: describeFailure(error) }),
      );
      return;
    }
    // Tasks come after the setup; they wait, in order, for the models.
    void (runner as Promise<ChunkRunner>).then((ready) => {
      if (!claimTask(message.task, CLAIMED_BY_WORKER)) return;
      const { answer, transfer } = compute(ready, message.task);
      port.postMessage(answer, transfer);
    }, () => undefined);
  });
}

if (parentPort !== null && (workerData as { marker?: string } | undefined)?.marker === WORKER_MARKER) serve(parentPort);
