/**
 * Measures one shape on one backend, both implementations, both modes, in a process of
 * its own (so peak RSS belongs to that shape). Run by main.ts with the same flags, one
 * backend and one shape; writes `ShapeResult` as JSON to file descriptor 3.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { BenchArgs, SLOW_ROUND_MS, parseArgs } from './args';
import { BenchRecord, Impl, Mode, ShapeResult } from './record';
import { BenchShape, SHAPES, describeShape, forwardFlops, trainFlops } from './shapes';
import { DEFAULT_POLICY, TimingPolicy, median, memoryMB, timeRounds } from './timing';
import { Twins, makeTwins, workload } from './workloads';

/** Steps of the short sequence every call is first run on (kernels, JIT). */
const WARM_UP_STEPS = 8;

const IMPLS: Exclude<Impl, 'torch'>[] = ['manual', 'layers'];
const MODES: Mode[] = ['inference', 'train'];

/** Tensor counts around every call of one implementation. */
interface TensorCounts {
  before?: number;
  after?: number;
  leaked: number;
  calls: number;
}

function elapsedMs(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

/**
 * Warms up twice on a short prefix of the sequence (kernels, JIT), then once on the whole
 * sequence unless the second short pass predicts full calls too slow for the budget
 * (the big shapes on the cpu backend).
 * @returns the predicted time of one round of full calls, in ms.
 */
function warmUp(calls: Array<(input: tf.Tensor) => void>, input: tf.Tensor3D, policy: TimingPolicy): number {
  const seq = input.shape[1];
  const shortSeq = Math.min(seq, WARM_UP_STEPS);
  const prefix = tf.slice(input, [0, 0, 0], [-1, shortSeq, -1]);
  const shortPass = () => calls.reduce((total, call) => total + elapsedMs(() => call(prefix)), 0);
  shortPass();
  const predictedMs = (shortPass() * seq) / shortSeq;
  prefix.dispose();
  if (predictedMs < policy.budgetMs / 2) calls.forEach((call) => call(input));
  return predictedMs;
}

/** Both implementations in one mode, or none when a round is predicted too slow (see `SLOW_ROUND_MS`). */
function measureMode(twins: Twins, shape: BenchShape, mode: Mode, input: tf.Tensor3D, args: BenchArgs): ShapeResult {
  const policy: TimingPolicy = { ...DEFAULT_POLICY, runs: args.runs };
  const calls = IMPLS.map((impl) => workload(twins, impl, mode));
  const predictedMs = warmUp(calls, input, policy);
  if (predictedMs > SLOW_ROUND_MS && !args.slow && args.runs === undefined) {
    const seconds = Math.round(predictedMs / 1000);
    return { records: [], notes: [`${mode} ${describeShape(shape)} on ${tf.getBackend()} left out: ~${seconds} s per round (--slow measures it)`] };
  }
  const counts: TensorCounts[] = IMPLS.map(() => ({ leaked: 0, calls: 0 }));
  const timedCalls = calls.map((call, index) => () => {
    const count = counts[index];
    const before = tf.memory().numTensors;
    count.before ??= before;
    const ms = elapsedMs(() => call(input));
    count.after = tf.memory().numTensors;
    count.leaked += count.after - before;
    count.calls++;
    return ms;
  });
  const samples = timeRounds(timedCalls, policy);
  const flops = mode === 'inference' ? forwardFlops(shape) : trainFlops(shape);
  const memory = memoryMB();
  const records = IMPLS.map((impl, index): BenchRecord => {
    const msMedian = median(samples[index]);
    return {
      ...shape,
      backend: tf.getBackend(),
      impl,
      mode,
      msMedian,
      gflops: flops / (msMedian * 1e6),
      msSamples: samples[index],
      numTensorsBefore: counts[index].before,
      numTensorsAfter: counts[index].after,
      tensorsLeakedPerCall: counts[index].leaked / counts[index].calls,
      ...memory,
    };
  });
  return { records, notes: [] };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const [backend] = args.backends ?? [];
  const shape = SHAPES[args.shapes[0]];
  await initBackend(backend);
  const twins = makeTwins(shape, 1);
  const input = tf.randomNormal([shape.batch, shape.seq, shape.input], 0, 1, 'float32', 2) as tf.Tensor3D;
  const results = MODES.map((mode) => measureMode(twins, shape, mode, input, args));
  input.dispose();
  twins.manual.dispose();
  twins.layers.dispose();
  const result: ShapeResult = {
    records: results.flatMap((r) => r.records),
    notes: results.flatMap((r) => r.notes),
  };
  fs.writeSync(3, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
