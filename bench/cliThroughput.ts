/**
 * Throughput of `tfjs-rnn run` (dist/cli/main.js, built by `npm run build`) with 1 and 2
 * worker threads, on a generated .npy input of many sequences, in a temp directory removed after.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkConfig, parameterSpecs } from '../src/config';
import { HostArray, saveStateDict, serializeNpy, shapeSize } from '../src/formats';
import { BenchRecord } from './record';
import { BenchShape, SHAPES, forwardFlops } from './shapes';
import { median } from './timing';

export const CLI_MAIN = path.join(__dirname, '..', 'dist', 'cli', 'main.js');

/** Shape 1's model over this many sequences: 4096 × 100 × 64 float32, 105 MB of input (fewer and worker start-up hides the scaling). */
const SEQUENCES = 4096;
const WORKER_COUNTS = [1, 2];
/** Each worker count runs this many times, alternating, and the median counts. */
const REPEATS = 2;

/** A CLI measurement: `batch` is the number of sequences in the file. */
export interface CliRecord extends BenchRecord {
  via: 'cli';
  workers: number;
  sequencesPerSecond: number;
}

function randomArray(shape: number[], bound: number): HostArray {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * Math.random() - 1) * bound;
  return { shape, data };
}

/** Writes weights (PyTorch's initialisation range), the nn.RNN arguments and the input into `directory`. */
async function writeInputs(directory: string, shape: BenchShape): Promise<{ weights: string; config: string; input: string }> {
  const files = {
    weights: path.join(directory, 'weights.safetensors'),
    config: path.join(directory, 'config.json'),
    input: path.join(directory, 'input.npy'),
  };
  const torchArgs = { input_size: shape.input, hidden_size: shape.hidden, num_layers: shape.layers, batch_first: true };
  const specs = parameterSpecs(checkConfig({ inputSize: shape.input, hiddenSize: shape.hidden, numLayers: shape.layers }));
  const bound = 1 / Math.sqrt(shape.hidden);
  await saveStateDict(files.weights, Object.fromEntries(specs.map((spec) => [spec.name, randomArray(spec.shape, bound)])));
  fs.writeFileSync(files.config, JSON.stringify(torchArgs));
  const input = randomArray([shape.batch, shape.seq, shape.input], 1);
  fs.writeFileSync(files.input, serializeNpy(input.shape, input.data));
  return files;
}

/** Wall time of one `tfjs-rnn run` over the whole file, in ms; throws when the run fails. */
function timeRun(files: { weights: string; config: string; input: string }, output: string, backend: string, workers: number): number {
  const start = performance.now();
  const result = spawnSync(
    process.execPath,
    [CLI_MAIN, 'run', '--weights', files.weights, '--config', files.config, '--input', files.input,
      '--output', output, '--workers', String(workers), '--backend', backend, '--quiet'],
    { stdio: ['ignore', process.stderr, 'inherit'] },
  );
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`tfjs-rnn run --workers ${workers} exited with ${result.status}`);
  return elapsed;
}

/** Sequences per second of `tfjs-rnn run` at each worker count, on `backend`. */
export async function measureCli(backend: string): Promise<CliRecord[]> {
  const shape: BenchShape = { ...SHAPES[0], batch: SEQUENCES };
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-rnn-bench-'));
  try {
    const files = await writeInputs(directory, shape);
    const output = path.join(directory, 'output.npy');
    const samples = WORKER_COUNTS.map((): number[] => []);
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      WORKER_COUNTS.forEach((workers, index) => samples[index].push(timeRun(files, output, backend, workers)));
    }
    return WORKER_COUNTS.map((workers, index) => {
      const msMedian = median(samples[index]);
      return {
        ...shape,
        backend,
        impl: 'manual',
        mode: 'inference',
        msMedian,
        gflops: forwardFlops(shape) / (msMedian * 1e6),
        msSamples: samples[index],
        via: 'cli',
        workers,
        sequencesPerSecond: (SEQUENCES * 1000) / msMedian,
      };
    });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
