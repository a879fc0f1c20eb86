/**
 * Measures one shape of one cell on one backend, both implementations, both modes (and
 * the manual call's matMuls alone, on wasm), in a process of its own (so peak RSS belongs
 * to that shape). Run by main.ts with the same flags, one backend, one shape and one cell;
 * writes `ShapeResult` as JSON to file descriptor 3.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { Mode as Cell } from '../src/config';
import { initBackend } from '../src/backend';
import { BenchArgs, SLOW_ROUND_MS, parseArgs } from './args';
import { matMulsAlone } from './matMuls';
import { BenchRecord, Impl, Mode, ShapeResult, TARGET_BACKEND } from './record';
import { BenchShape, SHAPES, describeShape, forwardFlops, trainFlops } from './shapes';
import { DEFAULT_POLICY, TARGET_POLICY, TimingPolicy, median, memoryMB, timeRounds } from './timing';
import { TfjsImpl, Twins, makeTwins, workload } from './workloads';

/** Steps of the short sequence every call is first run on (kernels, JIT). */
const WARM_UP_STEPS = 8;

const IMPLS: TfjsImpl[] = ['manual', 'layers'];
const MODES: Mode[] = ['inference', 'train'];

/** One implementation's call in one mode. */
interface Measured {
  impl: Impl;
  call: (input: tf.Tensor) => void;
}

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

/**
 * Both implementations in one mode (with inference, their matMuls alone where measured), or
 * none when a round off the target backend is predicted too slow (see `SLOW_ROUND_MS`).
 */
function measureMode(twins: Twins, cell: Cell, shape: BenchShape, mode: Mode, input: tf.Tensor3D, args: BenchArgs, matMuls?: () => void): ShapeResult {
  const target = tf.getBackend() === TARGET_BACKEND;
  const policy: TimingPolicy = { ...(target ? TARGET_POLICY : DEFAULT_POLICY), runs: args.runs };
  const models: Measured[] = IMPLS.map((impl) => ({ impl, call: workload(twins, impl, mode) }));
  // The matMuls alone run at full length whatever the input: warmed by one call, not predicted from a prefix.
  const alone: Measured[] = mode === 'inference' && matMuls ? [{ impl: 'matmuls', call: matMuls }] : [];
  const predictedMs = warmUp(models.map(({ call }) => call), input, policy) + alone.reduce((total, { call }) => total + elapsedMs(() => call(input)), 0);
  const measured = [...models, ...alone];
  const calls = measured.map(({ call }) => call);
  if (predictedMs > SLOW_ROUND_MS && !target && !args.slow && args.runs === undefined) {
    const seconds = Math.round(predictedMs / 1000);
    return { records: [], notes: [`${cell} ${mode} ${describeShape(shape)} on ${tf.getBackend()} left out: ~${seconds} s per round (--slow measures it)`] };
  }
  const counts: TensorCounts[] = measured.map(() => ({ leaked: 0, calls: 0 }));
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
  const flops = mode === 'inference' ? forwardFlops(shape, cell) : trainFlops(shape, cell);
  const memory = memoryMB();
  const records = measured.map(({ impl }, index): BenchRecord => {
    const msMedian = median(samples[index]);
    return {
      ...shape,
      backend: tf.getBackend(),
      impl,
      cell,
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
  const [cell] = args.cells;
  const shape = SHAPES[args.shapes[0]];
  await initBackend(backend);
  const twins = makeTwins(shape, cell, 1);
  const matMuls = matMulsAlone(shape, cell);
  const input = tf.randomNormal([shape.batch, shape.seq, shape.input], 0, 1, 'float32', 2) as tf.Tensor3D;
  const results = MODES.map((mode) => measureMode(twins, cell, shape, mode, input, args, matMuls?.call));
  input.dispose();
  matMuls?.dispose();
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
