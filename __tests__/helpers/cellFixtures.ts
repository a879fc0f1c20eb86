import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { StoredTensor } from './fixtures';

/**
 * One `nn.GRU` or `nn.LSTM(proj_size=P)` run written by `scripts/make_keras_fixtures.py`
 * (batch-major input), with its weights in the cells' Keras layout, one entry per direction.
 */
export interface CellFixture {
  name: string;
  torch: string;
  seed: number;
  module: 'GRU' | 'LSTM';
  config: { input_size: number; hidden_size: number; proj_size?: number; bias?: boolean; bidirectional?: boolean };
  state_dict: Record<string, StoredTensor>;
  /** `kernel`, `recurrent_kernel`, `bias` (absent without bias), `projection_kernel` (LSTM). */
  keras: Record<string, StoredTensor>[];
  input: StoredTensor;
  /** `[D, N, H_out]` */
  h0: StoredTensor | null;
  /** `[D, N, H]` (LSTM) */
  c0: StoredTensor | null;
  lengths: number[] | null;
  output: StoredTensor;
  h_n: StoredTensor;
  c_n: StoredTensor | null;
}

/** A Keras model as `tensorflowjs_converter` writes it, and what `nn.GRU` predicts for `input`. */
export interface KerasCase {
  name: string;
  modelPath: string;
  torch: string;
  seed: number;
  input: StoredTensor;
  output: StoredTensor;
}

const FIXTURES = join(__dirname, '..', '..', 'fixtures');

export function loadCellFixtures(): CellFixture[] {
  const dir = join(FIXTURES, 'cells');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as CellFixture);
}

export function loadKerasCases(): KerasCase[] {
  const dir = join(FIXTURES, 'keras');
  return readdirSync(dir)
    .sort()
    .map((name) => ({
      ...(JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')) as Omit<KerasCase, 'modelPath'>),
      modelPath: join(dir, name, 'model.json'),
    }));
}
