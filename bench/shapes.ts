import { GATE_COUNTS, MODES, Mode } from '../src/config';

/**
 * The benchmark's problem sizes and their arithmetic cost. Symbols: B batch, T sequence
 * length, I input size, H hidden size, L stacked layers, D directions, G gates of the
 * cell (RNN 1, LSTM 4, GRU 3).
 */

/** The cells (modes) benchmarked, in the order printed. */
export const CELLS: readonly Mode[] = MODES;

export interface BenchShape {
  batch: number;
  seq: number;
  input: number;
  hidden: number;
  layers: number;
  directions: 1 | 2;
}

/** The shapes of the benchmark, in the order printed (numbered from 1 on the command line). */
export const SHAPES: readonly BenchShape[] = [
  { batch: 32, seq: 100, input: 64, hidden: 128, layers: 1, directions: 1 },
  { batch: 1, seq: 1000, input: 16, hidden: 32, layers: 1, directions: 1 },
  { batch: 256, seq: 50, input: 128, hidden: 256, layers: 1, directions: 1 },
  { batch: 64, seq: 200, input: 128, hidden: 128, layers: 2, directions: 2 },
];

/** `(B,T,I,H,L,D)`, as the tables print a shape. */
export function describeShape(shape: BenchShape): string {
  const { batch, seq, input, hidden, layers, directions } = shape;
  return `(${batch},${seq},${input},${hidden},${layers},${directions})`;
}

/**
 * Floating-point operations of one forward pass's matrix products: `2·B·T·(I_l·G·H + H·G·H)`
 * per layer and direction, where `I_l` is I for layer 0 and D·H above.
 */
export function forwardFlops(shape: BenchShape, cell: Mode): number {
  const { batch, seq, input, hidden, layers, directions } = shape;
  const gateSize = GATE_COUNTS[cell] * hidden;
  let flops = 0;
  for (let layer = 0; layer < layers; layer++) {
    const layerInput = layer === 0 ? input : directions * hidden;
    flops += directions * 2 * batch * seq * (layerInput * gateSize + hidden * gateSize);
  }
  return flops;
}

/**
 * Floating-point operations of one training step, counted as 3× the forward pass
 * (the backward pass does two matrix products for each one of the forward).
 */
export function trainFlops(shape: BenchShape, cell: Mode): number {
  return 3 * forwardFlops(shape, cell);
}
