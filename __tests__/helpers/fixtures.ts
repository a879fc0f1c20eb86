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

/** A grid fixture's layout factors, from the end of its name: `_bf|_tm`, `_h0|_noh0`, `_batched|_unbatched`. */
const LAYOUT = /_(bf|tm)_(h0|noh0)_(batched|unbatched)$/;

/**
 * Rows of a strength-2 orthogonal array over the three binary layout factors (batch first,
 * h0 given, batched): every pair of values of every two factors appears in it.
 */
const LAYOUT_PAIRS = [
  ['bf', 'h0', 'batched'],
  ['bf', 'noh0', 'unbatched'],
  ['tm', 'h0', 'unbatched'],
  ['tm', 'noh0', 'batched'],
];

/**
 * The dense fixtures with the grid's layout factors covered pairwise instead of multiplied
 * into every model: each grid model (mode, layers, directions, nonlinearity, bias) runs in
 * two layouts, complementary rows of `LAYOUT_PAIRS` chosen by its index, so that every
 * layout factor takes both values for every model, every pair of layout values appears for
 * every mode, and the array's four rows recur across the grid. Other fixtures run as they are.
 */
export function loadParityFixtures(): Fixture[] {
  const fixtures = loadDenseFixtures();
  const models = [...new Set(fixtures.filter((fixture) => LAYOUT.test(fixture.name)).map((fixture) => fixture.name.replace(LAYOUT, '')))];
  return fixtures.filter((fixture) => {
    const match = LAYOUT.exec(fixture.name);
    if (!match) return true;
    const index = models.indexOf(fixture.name.replace(LAYOUT, ''));
    return [index % 4, (index + 2) % 4].some((row) => LAYOUT_PAIRS[row].every((value, i) => value === match[i + 1]));
  });
}
