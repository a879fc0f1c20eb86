/**
 * What the parity page (`harness.ts`) takes and gives back: PyTorch fixtures in, each
 * forward and gradient as the page's backend computed them out, as plain arrays.
 */

/** A tensor's shape and its values, flat in C order, as the fixtures store them. */
export interface StoredTensor {
  shape: number[];
  data: number[];
}

/** The part of a fixture (`scripts/make_fixtures.py`) the page needs. */
export interface PageFixture {
  name: string;
  config: Record<string, unknown>;
  state_dict: Record<string, StoredTensor>;
  input: StoredTensor;
  h0: StoredTensor | null;
  c0?: StoredTensor | null;
  lengths: number[] | null;
  d_output: StoredTensor;
  d_h_n: StoredTensor;
  d_c_n?: StoredTensor;
}

/** One fixture on the page's backend: each implementation's forward values, and the hand-written gradients by PyTorch's names. */
export interface FixtureRun {
  name: string;
  manual: Record<string, StoredTensor>;
  layers: Record<string, StoredTensor>;
  grad: Record<string, StoredTensor>;
}

export interface ParityRun {
  /** The active backend, as `initBackend` returned it. */
  backend: string;
  /** The wasm backend's threads (`getThreadsCount`), 0 on other backends. */
  threads: number;
  crossOriginIsolated: boolean;
  /** `tf.memory().numTensors` after the runs minus before: 0 unless something leaked. */
  leakedTensors: number;
  runs: FixtureRun[];
}

/** What the page exposes to the test: `window.tfjsRnnParity(backend, threads, fixtures)`. */
export type ParityEntry = (backend: string, threads: number | undefined, fixtures: PageFixture[]) => Promise<ParityRun>;
