/**
 * Throughput of `tfjs-rnn run` (dist/cli/main.js, built by `npm run build`) with 1 and 2
 * worker threads on a generated .npy input of many sequences, the peak RSS of each run
 * (again with 1 worker on a file four times as long, to show that memory does not grow with
 * the file), and what two threads can gain on this machine at all (`parallelCeiling.ts`).
 * Files live in a temp directory removed after.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkConfig, parameterSpecs } from '../src/config';
import { HostArray, saveStateDict, serializeNpy, shapeSize } from '../src/formats';
import { measureTwoThreadCeiling } from './parallelCeiling';
import { BenchRecord } from './record';
import { BenchShape, SHAPES, forwardFlops } from './shapes';
import { median } from './timing';

export const CLI_MAIN = path.join(__dirname, '..', 'dist', 'cli', 'main.js');

/**
 * The smaller file: shape 1's model over this many sequences, 4096 × 100 × 64 float32, 105 MB
 * of input; with the larger file, the memory check (1 worker each).
 */
const SEQUENCES = 4096;
/**
 * The larger file, four times the sequences: the input grows by 300 MB, well above the
 * ±20 MB by which one run's peak RSS moves with the garbage collector's timing. The workers'
 * scaling is measured on it: on the smaller one a run is mostly start-up (loading tfjs and
 * the weights), which one thread does either way.
 */
const MORE_SEQUENCES = SEQUENCES * 4;
/** Runs measured, in this order, `REPEATS` times over: (sequences, workers). */
const RUNS: ReadonlyArray<{ sequences: number; workers: number }> = [
  { sequences: SEQUENCES, workers: 1 },
  { sequences: MORE_SEQUENCES, workers: 1 },
  { sequences: MORE_SEQUENCES, workers: 2 },
];
/** Each run is repeated this many times, alternating; the medians of time and peak RSS count. */
const REPEATS = 3;

/** Loaded with `node -r` into each run: writes the process's peak RSS (KiB) to the file named by the env var. */
const RSS_PRELOAD = `process.on('exit', () => require('fs').writeFileSync(process.env.TFJS_RNN_BENCH_RSS, String(process.resourceUsage().maxRSS)));`;

/** Where a measured command's peak RSS is reported: the preload script and the file it writes, in a temp directory. */
export interface RssFiles {
  preload: string;
  rss: string;
}

/** Writes the preload script into `directory`. */
export function rssFiles(directory: string): RssFiles {
  const files = { preload: path.join(directory, 'rss.js'), rss: path.join(directory, 'rss.txt') };
  fs.writeFileSync(files.preload, RSS_PRELOAD);
  return files;
}

/** Wall time (ms) and peak RSS (MiB) of `tfjs-rnn ...args`; throws when it fails. */
export function measureCommand(args: string[], files: RssFiles): { ms: number; peakRssMB: number } {
  const start = performance.now();
  const result = spawnSync(process.execPath, ['-r', files.preload, CLI_MAIN, ...args], {
    stdio: ['ignore', process.stderr, 'inherit'],
    env: { ...process.env, TFJS_RNN_BENCH_RSS: files.rss },
  });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`tfjs-rnn ${args[0]} exited with ${result.status}`);
  return { ms, peakRssMB: Number(fs.readFileSync(files.rss, 'utf8')) / 2 ** 10 };
}

/** A CLI measurement: `batch` is the number of sequences in the file. */
export interface CliRecord extends BenchRecord {
  via: 'cli';
  workers: number;
  sequencesPerSecond: number;
  /** Size of the input file, in MiB. */
  inputMB: number;
  /** Throughput of two concurrent compute-bound threads over one's, the median of one measurement before each repeat of the runs (2 is perfect scaling). */
  twoThreadCeiling: number;
}

function randomArray(shape: number[], bound: number): HostArray {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * Math.random() - 1) * bound;
  return { shape, data };
}

/** Writes weights (PyTorch's initialisation range), the nn.RNN arguments and the input into `directory`. */
async function writeModel(directory: string, shape: BenchShape): Promise<{ weights: string; config: string }> {
  const files = { weights: path.join(directory, 'weights.safetensors'), config: path.join(directory, 'config.json') };
  const torchArgs = { input_size: shape.input, hidden_size: shape.hidden, num_layers: shape.layers, batch_first: true };
  const specs = parameterSpecs(checkConfig({ inputSize: shape.input, hiddenSize: shape.hidden, numLayers: shape.layers }));
  const bound = 1 / Math.sqrt(shape.hidden);
  await saveStateDict(files.weights, Object.fromEntries(specs.map((spec) => [spec.name, randomArray(spec.shape, bound)])));
  fs.writeFileSync(files.config, JSON.stringify(torchArgs));
  return files;
}

/** Writes `[sequences, seq, input]` random values as .npy; returns its path. */
function writeInput(directory: string, shape: BenchShape, sequences: number): string {
  const file = path.join(directory, `input-${sequences}.npy`);
  const input = randomArray([sequences, shape.seq, shape.input], 1);
  fs.writeFileSync(file, serializeNpy(input.shape, input.data));
  return file;
}

interface RunFiles extends RssFiles {
  weights: string;
  config: string;
  input: string;
  output: string;
}

/** Wall time (ms) and peak RSS (MiB) of one `tfjs-rnn run` over a whole file; throws when the run fails. */
function timeRun(files: RunFiles, backend: string, workers: number): { ms: number; peakRssMB: number } {
  fs.rmSync(files.output, { force: true });
  return measureCommand(
    ['run', '--weights', files.weights, '--config', files.config, '--input', files.input,
      '--output', files.output, '--workers', String(workers), '--backend', backend, '--quiet'],
    files,
  );
}

/** Sequences per second and peak RSS of `tfjs-rnn run` for each of `RUNS`, on `backend`. */
export async function measureCli(backend: string): Promise<CliRecord[]> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-'));
  try {
    const model = await writeModel(directory, SHAPES[0]);
    const measured = rssFiles(directory);
    const inputs = new Map([...new Set(RUNS.map((run) => run.sequences))].map((n) => [n, writeInput(directory, SHAPES[0], n)]));
    const files = (sequences: number): RunFiles => ({
      ...model,
      input: inputs.get(sequences) as string,
      output: path.join(directory, 'output.npy'),
      ...measured,
    });
    const samples = RUNS.map((): Array<{ ms: number; peakRssMB: number }> => []);
    // The ceiling too is measured once per repeat, between the runs, so that its median sees the same load.
    const ceilings: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      ceilings.push(await measureTwoThreadCeiling(backend));
      RUNS.forEach((run, index) => samples[index].push(timeRun(files(run.sequences), backend, run.workers)));
    }
    const twoThreadCeiling = median(ceilings);
    return RUNS.map(({ sequences, workers }, index) => {
      const shape: BenchShape = { ...SHAPES[0], batch: sequences };
      const msMedian = median(samples[index].map((sample) => sample.ms));
      return {
        ...shape,
        backend,
        impl: 'manual',
        cell: 'RNN',
        mode: 'inference',
        msMedian,
        gflops: forwardFlops(shape, 'RNN') / (msMedian * 1e6),
        msSamples: samples[index].map((sample) => sample.ms),
        peakRssMB: median(samples[index].map((sample) => sample.peakRssMB)),
        via: 'cli',
        workers,
        sequencesPerSecond: (sequences * 1000) / msMedian,
        inputMB: fs.statSync(inputs.get(sequences) as string).size / 2 ** 20,
        twoThreadCeiling,
      };
    });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
