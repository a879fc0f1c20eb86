import { promises as fs } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { main } from '../../src/cli/main';
import { FORWARD_TOLERANCE, compareArrays, describeComparison } from '../../src/compare';
import { RNNConfig, TorchRNNArgs, checkConfig, toTorchArgs } from '../../src/config';
import { HostArray, bufferSource, decodeNpyFloats, readNpyHeader, saveStateDict, serializeNpy, toHostArrays } from '../../src/formats';
import { createManualModel } from '../../src/manual';

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tfjs-rnn` in this process through `main(argv, io)`; `tty` makes stderr look like a terminal. */
export async function runCli(argv: string[], tty = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: tty },
  });
  return { code, stdout, stderr };
}

/** A fresh temp directory, removed by `removeTempDir`. */
export function makeTempDir(): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), 'tfjs-rnn-cli-'));
}

export function removeTempDir(dir: string): Promise<void> {
  return fs.rm(dir, { recursive: true, force: true });
}

/** Writes `array` as a float32 `.npy` at `dir/name`; returns the path. */
export async function writeNpy(dir: string, name: string, array: HostArray): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, serializeNpy(array.shape, array.data));
  return path;
}

/** Writes `value` as JSON at `dir/name`; returns the path. */
export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, JSON.stringify(value));
  return path;
}

/** `shape` filled with deterministic values in about [-2, 2]. */
export function sequenceArray(shape: number[], seed = 1): HostArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    data[i] = (state / 2147483648) * 4 - 2;
  }
  return { shape, data };
}

/** A seeded model of any mode: its weights saved as `weights.safetensors` and its config as `config.json` in `dir`. */
export async function writeModel(dir: string, config: RNNConfig, seed = 7): Promise<{ weights: string; config: string; args: TorchRNNArgs }> {
  await tf.ready();
  const model = createManualModel(config, { seed });
  const weights = join(dir, 'weights.safetensors');
  await saveStateDict(weights, toHostArrays(model.stateDict()));
  model.dispose();
  const args = toTorchArgs(checkConfig(config));
  return { weights, config: await writeJson(dir, 'config.json', args), args };
}

/** Output and h_n of the hand-written model (of any mode) of `writeModel(config, seed)` run directly (not through the CLI). */
export function referenceForward(config: RNNConfig, input: HostArray, h0?: HostArray, seed = 7): { output: HostArray; hN: HostArray } {
  const model = createManualModel(config, { seed }).eval();
  const x = tf.tensor(input.data, input.shape);
  const state = h0 && tf.tensor(h0.data, h0.shape);
  const { output, hN } = model.forward(x, state);
  const result = { output: toHost(output), hN: toHost(hN) };
  tf.dispose([x, output, hN, ...(state ? [state] : [])]);
  model.dispose();
  return result;
}

function toHost(tensor: tf.Tensor): HostArray {
  return { shape: tensor.shape, data: new Float32Array(tensor.dataSync()) };
}

/** The array of a float32 `.npy` written by the CLI. */
export async function readNpy(path: string): Promise<HostArray> {
  const bytes = new Uint8Array(await fs.readFile(path));
  const header = readNpyHeader(bufferSource(bytes), ['float32'], path);
  return { shape: header.shape, data: decodeNpyFloats(bytes.subarray(header.dataOffset), 'float32') };
}

/** Checks `actual` against `expected` within the forward tolerance; a failure names `label`, the worst index and both values. */
export function expectArraysClose(actual: HostArray, expected: HostArray, label: string): void {
  const comparison = compareArrays(actual, expected, FORWARD_TOLERANCE);
  if (!comparison.ok) throw new Error(describeComparison(label, comparison));
}

/** Files in `dir`, sorted (temp files included, so a leftover shows). */
export async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'cli');

/** Every variable of a scheduler that `--shard auto` reads. */
export const SCHEDULER_VARIABLES = [
  'JOB_COMPLETION_INDEX',
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_COUNT',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'SLURM_ARRAY_TASK_STEP',
  'AWS_BATCH_JOB_ARRAY_INDEX',
  'AWS_BATCH_JOB_ARRAY_SIZE',
];

/**
 * Runs `fn` with `env` as the only scheduler variables of `process.env` (none of the machine's
 * own, should the tests run under a scheduler), restoring them after.
 */
export async function withScheduler<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = SCHEDULER_VARIABLES.map((name) => [name, process.env[name]] as const);
  const clear = () => SCHEDULER_VARIABLES.forEach((name) => delete process.env[name]);
  clear();
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    clear();
    saved.forEach(([name, value]) => value !== undefined && (process.env[name] = value));
  }
}

export { MAIN, ROOT, buildOnce } from '../helpers/build';

/**
 * The setup of a CLI suite on the cpu backend with a fresh temp directory per test (removed
 * after it); returns the directory's getter.
 */
export function cpuWithTempDir(initBackend: (name: 'cpu') => Promise<unknown>): () => string {
  let dir = '';
  beforeAll(async () => {
    await initBackend('cpu');
  });
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeTempDir(dir);
  });
  return () => dir;
}
