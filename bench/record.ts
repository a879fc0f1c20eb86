import { Mode as Cell } from '../src/config';
import { BenchShape } from './shapes';

/** `matmuls`: the matrix products of a `manual` inference call alone (matMuls.ts). */
export type Impl = 'manual' | 'layers' | 'torch' | 'matmuls';
export type Mode = 'inference' | 'train';

/** The backend whose ratios the targets are checked on. */
export const TARGET_BACKEND = 'wasm';

/** One measurement: one implementation, one cell, one mode, one shape, one backend. */
export interface BenchRecord extends BenchShape {
  /** tfjs backend name, or `torch` for the PyTorch reference. */
  backend: string;
  impl: Impl;
  /** The recurrent cell: the config's mode, RNN, LSTM or GRU. */
  cell: Cell;
  mode: Mode;
  /** Median wall time of one call, in milliseconds. */
  msMedian: number;
  gflops: number;
  /** Every timed call, in milliseconds, in the order run. */
  msSamples: number[];
  /** `tf.memory().numTensors` before this implementation's first call and after its last (tfjs only). */
  numTensorsBefore?: number;
  numTensorsAfter?: number;
  /** Tensors left behind per call, from the count around each call of this implementation alone. */
  tensorsLeakedPerCall?: number;
  /** Resident set size after the measurement, and the measuring process's peak so far, in MiB. */
  rssMB?: number;
  peakRssMB?: number;
}

/** What one shape on one backend gives (bench/measureShape.ts): its records, and what was left out and why. */
export interface ShapeResult {
  records: BenchRecord[];
  notes: string[];
}
