/**
 * `npm run bench:engines`: the hand-written models' engines against each other on wasm (one
 * thread): for each cell and shape, the same model under `loop: 'auto'`, `'tensor'` (wasm's
 * kernels called directly) and `'host'` (the package's own kernels), eval-mode forward with
 * the output read back, the three calls alternating one round at a time so that their ratios
 * are measured under the same load; each ratio is the median of the per-round ratios. Each
 * call is timed by the wall clock and by the process's CPU time (`process.cpuUsage`, user +
 * system): on a machine shared by more processes than cores, a call's wall time includes the
 * time others ran, its CPU time much less so.
 * `-- --shapes '64,1000,16,32;32,100,64,128'` picks the shapes (B,T,I,H), `--cells LSTM,GRU` the
 * cells, `--rounds N` the rounds.
 */
import * as tf from '@tensorflow/tfjs';
import { Mode, createManualModel, initBackend } from '../src';
import { StepLoop } from '../src/manual/plan';
import { median } from './timing';

const MODES: Mode[] = ['RNN', 'LSTM', 'GRU'];
const LOOPS: StepLoop[] = ['auto', 'tensor', 'host'];
const DEFAULT_SHAPES = [
  [64, 1000, 16, 32],
  [32, 100, 64, 128],
];

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

/** Wall and CPU ms of one call. */
interface Sample {
  wall: number;
  cpu: number;
}

/** Median ms of each loop's call and the medians of per-round ratios to `'tensor'`, by wall clock and by CPU time. */
function measure(mode: Mode, [batch, seq, input, hidden]: number[], rounds: number): string {
  const models = LOOPS.map((loop) => createManualModel({ mode, inputSize: input, hiddenSize: hidden, batchFirst: true }, { seed: 1, loop }).eval());
  const x = tf.randomNormal([batch, seq, input], 0, 1, 'float32', 3);
  const call = (index: number): Sample => {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const { output, hN, cN } = models[index].forward(x);
    output.dataSync();
    const { user, system } = process.cpuUsage(cpuStart);
    const sample = { wall: performance.now() - start, cpu: (user + system) / 1000 };
    tf.dispose([output, hN, ...(cN ? [cN] : [])]);
    return sample;
  };
  // Two untimed calls each: the first compiles and grows buffers, the second runs tiered-up code.
  for (let warmUp = 0; warmUp < 2; warmUp++) LOOPS.forEach((_, index) => call(index));
  const samples = LOOPS.map((): Sample[] => []);
  // Each round starts at another loop, so that none always runs after the host engine's garbage.
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < LOOPS.length; turn++) {
      const index = (round + turn) % LOOPS.length;
      samples[index][round] = call(index);
    }
  }
  const engines = models.map((model) => model.plan({ seqLen: seq, batchSize: batch }).engine);
  models.forEach((model) => model.dispose());
  x.dispose();
  const tensorAt = LOOPS.indexOf('tensor');
  const columns = LOOPS.map((loop, index) => {
    const figures = (['wall', 'cpu'] as const).map((clock) => {
      const ms = median(samples[index].map((sample) => sample[clock]));
      const ratio = median(samples[index].map((sample, round) => sample[clock] / samples[tensorAt][round][clock]));
      return `${ms.toFixed(1)} ms ${ratio.toFixed(2)}×`;
    });
    return `${loop} (${engines[index]}) wall ${figures[0]}, cpu ${figures[1]}`;
  });
  return `${mode.padEnd(4)} (${[batch, seq, input, hidden].join(',')})  ${columns.join('  ')}`;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const shapes = option('shapes')?.split(';').map((shape) => shape.split(',').map(Number)) ?? DEFAULT_SHAPES;
  const modes = (option('cells')?.split(',') as Mode[] | undefined) ?? MODES;
  const rounds = Number(option('rounds') ?? 9);
  console.log(`wasm, one thread; ${rounds} rounds; median ms and ratio to loop 'tensor' (median of per-round ratios), by wall clock and by CPU time`);
  for (const shape of shapes) for (const mode of modes) console.log(measure(mode, shape, rounds));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
