import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { RNNConfig, TorchRNNArgs, fromTorchArgs } from '../../src';

/** A tensor as the fixtures store it: C-order values and a shape. */
export interface StoredTensor {
  shape: number[];
  data: number[];
}

/** One case written by `scripts/make_fixtures.py` from real PyTorch. */
export interface Fixture {
  /** `rnn/…`, `lstm/…` or `gru/…`: the folder and the case. */
  name: string;
  torch: string;
  seed: number;
  config: TorchRNNArgs;
  state_dict: Record<string, StoredTensor>;
  input: StoredTensor;
  h0: StoredTensor | null;
  /** LSTM only: given together with h0. */
  c0?: StoredTensor | null;
  lengths: number[] | null;
  output: StoredTensor;
  h_n: StoredTensor;
  c_n?: StoredTensor;
  d_output: StoredTensor;
  d_h_n: StoredTensor;
  d_c_n?: StoredTensor;
  grad: Record<string, StoredTensor>;
}

const FIXTURE_ROOT = join(__dirname, '..', '..', 'fixtures');
const MODE_FOLDERS = ['rnn', 'lstm', 'gru'];

/**
 * Every fixture matching one of `prefixes`, sorted by name: `'grid_'` matches the cases of
 * every mode whose file starts so, `'lstm/grid_'` those of one mode.
 */
export function loadFixtures(...prefixes: string[]): Fixture[] {
  return MODE_FOLDERS.flatMap((folder) =>
    readdirSync(join(FIXTURE_ROOT, folder))
      .filter((file) => file.endsWith('.json'))
      .filter((file) => prefixes.some((prefix) => (prefix.includes('/') ? `${folder}/${file}` : file).startsWith(prefix)))
      .sort()
      .map((file) => {
        const fixture = JSON.parse(readFileSync(join(FIXTURE_ROOT, folder, file), 'utf8')) as Fixture;
        return { ...fixture, name: `${folder}/${fixture.name}` };
      }),
  );
}

/** Fixtures of whole sequences (no `lengths`) of every mode: the seed scenarios, the grid, long and wide. */
export function loadDenseFixtures(): Fixture[] {
  return loadFixtures('seed_', 'grid_', 'long_', 'wide_');
}

export function tensorOf(stored: StoredTensor): tf.Tensor {
  return tf.tensor(stored.data, stored.shape, 'float32');
}

export function configOf(fixture: Fixture): RNNConfig {
  return fromTorchArgs(fixture.config);
}

/** The fixture's PyTorch `state_dict` as tensors, owned by the caller. */
export function stateDictOf(fixture: Fixture): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(fixture.state_dict).map(([name, stored]) => [name, tensorOf(stored)]));
}

/** The fixture's initial states as a forward call takes them (`h0`, or `[h0, c0]`), owned by the caller. */
export function initialStateOf(fixture: Fixture): tf.Tensor | [tf.Tensor, tf.Tensor] | undefined {
  if (!fixture.h0) return undefined;
  return fixture.c0 ? [tensorOf(fixture.h0), tensorOf(fixture.c0)] : tensorOf(fixture.h0);
}

/** What PyTorch returned: `output`, `hN` and (LSTM) `cN`, owned by the caller. */
export function torchResultOf(fixture: Fixture): { output: tf.Tensor; hN: tf.Tensor; cN?: tf.Tensor } {
  return { output: tensorOf(fixture.output), hN: tensorOf(fixture.h_n), ...(fixture.c_n && { cN: tensorOf(fixture.c_n) }) };
}
