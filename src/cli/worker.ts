import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend';
import { Chunk, createChunkRunner } from './chunkRunner';
import { WORKER_MARKER, WorkerSetup, describeFailure } from './workers';

/**
 * A worker thread of `chunkPool`: builds the models once on the backend it is given, says
 * `{ready}`, then answers each `{chunk}` with `{outputs}` (or `{error}`), one at a time.
 */

async function serve(port: NonNullable<typeof parentPort>, setup: WorkerSetup): Promise<void> {
  tf.env().set('PROD', true); // As on the main thread: no tfjs notices on the shared stderr.
  try {
    await initBackend(setup.backend);
    const runner = createChunkRunner(setup.spec, setup.implementations, setup.loop);
    port.on('message', ({ chunk }: { chunk: Chunk }) => {
      try {
        const outputs = runner.run(chunk);
        const buffers = Object.values(outputs).flatMap((result) => [result.output, result.hN, result.cN].flatMap((array) => (array ? [array.data.buffer as ArrayBuffer] : [])));
        port.postMessage({ outputs }, buffers);
      } catch (error) {
        port.postMessage({ error: describeFailure(error) });
      }
    });
    port.postMessage({ ready: true });
  } catch (error) {
    port.postMessage({ ready: false, error: describeFailure(error) });
  }
}

if (parentPort !== null && (workerData as WorkerSetup | undefined)?.marker === WORKER_MARKER) void serve(parentPort, workerData as WorkerSetup);
