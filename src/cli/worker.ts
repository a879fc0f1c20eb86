import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend';
import { BufferPool } from './bufferPool';
import { ChunkRunner, createChunkRunner } from './chunkRunner';
import { ChunkTask, WorkerAnswer, WorkerSetup, chunkPart, describeFailure, outputBuffers, takeRows } from './workers';
import { WORKER_MARKER } from './workerThreads';

/**
 * A worker thread of `chunkPool`: loads this package as soon as it starts, waits for its
 * `{setup}`, builds the models once on the backend it names and says `{ready}`; then, for each
 * `{task}` in the order posted, takes the rows of the chunk that no thread has taken (all of
 * them, unless the main thread began it) and answers with their outputs (or the error), on
 * buffers that come back in a `{recycle}` once the main thread has written them.
 */

async function prepare(setup: WorkerSetup): Promise<{ runner: ChunkRunner; setup: WorkerSetup }> {
  await initBackend(setup.backend);
  return { runner: createChunkRunner(setup.spec, setup.implementations, setup.loop), setup };
}

/** The answer for the rows of `task` left, computed by `runner` into `buffers`, and the buffers to move with it; undefined when none is left. */
function compute(runner: ChunkRunner, setup: WorkerSetup, task: ChunkTask, buffers: BufferPool): { answer: WorkerAnswer; transfer: ArrayBuffer[] } | undefined {
  const range = takeRows(task, task.rows);
  if (range === undefined) return undefined;
  try {
    const outputs = runner.run(chunkPart(setup.axes, task, range), buffers);
    return { answer: { id: task.id, range, outputs }, transfer: outputBuffers(outputs) };
  } catch (error) {
    return { answer: { id: task.id, range, error: describeFailure(error) }, transfer: [] };
  }
}

function serve(port: NonNullable<typeof parentPort>): void {
  tf.env().set('PROD', true); // As on the main thread: no tfjs notices on the shared stderr.
  let prepared: Promise<{ runner: ChunkRunner; setup: WorkerSetup }> | undefined;
  const buffers = new BufferPool(false);
  port.on('message', (message: { setup: WorkerSetup } | { task: ChunkTask } | { recycle: ArrayBuffer[] }) => {
    if ('recycle' in message) {
      message.recycle.forEach((buffer) => buffers.give(buffer));
      return;
    }
    if ('setup' in message) {
      prepared = prepare(message.setup);
      prepared.then(
        () => port.postMessage({ ready: true }),
        (error: unknown) => port.postMessage({ ready: false, error: describeFailure(error) }),
      );
      return;
    }
    // Tasks come after the setup; they wait, in order, for the models.
    void (prepared as NonNullable<typeof prepared>).then(({ runner, setup }) => {
      const computed = compute(runner, setup, message.task, buffers);
      if (computed !== undefined) port.postMessage(computed.answer, computed.transfer);
    }, () => undefined);
  });
}

if (parentPort !== null && (workerData as { marker?: string } | undefined)?.marker === WORKER_MARKER) serve(parentPort);
