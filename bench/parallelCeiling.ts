/**
 * What two threads can gain on this machine at all: the same fixed, compute-bound loop of
 * tfjs matMuls in one worker thread alone, then in two at once. `tfjs-rnn run --workers 2`
 * cannot beat this ratio; on VMs whose two vCPUs share one core's SIMD units it is far below 2.
 */
import { Worker } from 'worker_threads';

/** matMuls of 256×256·256×256 per job: about 1 s alone on wasm. */
const MATMULS = 500;

/** Runs in each worker: load tfjs on `backend`, warm up, wait for 'go', post the loop's ms. */
const JOB = `
const { parentPort, workerData } = require('worker_threads');
const tf = require(workerData.tfjs);
require(workerData.wasm);
(async () => {
  await tf.setBackend(workerData.backend);
  const a = tf.randomNormal([256, 256]);
  const b = tf.randomNormal([256, 256]);
  const loop = (count) => { for (let i = 0; i < count; i++) tf.dispose(tf.matMul(a, b)); };
  loop(20);
  parentPort.once('message', () => {
    const start = performance.now();
    loop(workerData.matMuls);
    parentPort.postMessage(performance.now() - start);
  });
  parentPort.postMessage('ready');
})();
`;

function startJob(backend: string): Promise<{ worker: Worker; done: Promise<number> }> {
  const worker = new Worker(JOB, {
    eval: true,
    workerData: {
      backend,
      matMuls: MATMULS,
      tfjs: require.resolve('@tensorflow/tfjs'),
      wasm: require.resolve('@tensorflow/tfjs-backend-wasm'),
    },
  });
  return new Promise((resolveReady, reject) => {
    worker.once('error', reject);
    let finish: (ms: number) => void;
    const done = new Promise<number>((resolveDone) => (finish = resolveDone));
    worker.on('message', (message: unknown) => {
      if (message === 'ready') resolveReady({ worker, done });
      else finish(message as number);
    });
  });
}

/** Wall time of `count` jobs started together, in ms (the slowest job's loop). */
async function runTogether(backend: string, count: number): Promise<number> {
  const jobs = await Promise.all(Array.from({ length: count }, () => startJob(backend)));
  jobs.forEach(({ worker }) => worker.postMessage('go'));
  const times = await Promise.all(jobs.map(({ done }) => done));
  await Promise.all(jobs.map(({ worker }) => worker.terminate()));
  return Math.max(...times);
}

/** Throughput of two concurrent jobs over one job's, on `backend` (2 would be perfect scaling). */
export async function measureTwoThreadCeiling(backend: string): Promise<number> {
  const alone = await runTogether(backend, 1);
  const together = await runTogether(backend, 2);
  return (2 * alone) / together;
}
