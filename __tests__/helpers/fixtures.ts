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
  name: string;
  torch: string;
  seed: number;
  config: TorchRNNArgs;
  state_dict: Record<string, StoredTensor>;
  input: StoredTensor;
  h0: StoredTensor | null;
  lengths: number[] | null;
  output: StoredTensor;
  h_n: StoredTensor;
  d_output: StoredTensor;
  d_h_n: StoredTensor;
  grad: Record<string, StoredTensor>;
}

const FIXTURE_DIR = join(__dirname, '..', '..', 'fixtures', 'rnn');

/** Every fixture whose name starts with one of `prefixes`, sorted by name. */
export function loadFixtures(...prefixes: string[]): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json') && prefixes.some((prefix) => file.startsWith(prefix)))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Fixture);
}

/** Fixtures of whole sequences (no `lengths`): the seed scenarios, the grid, long and wide. */
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
