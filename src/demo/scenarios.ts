import type { RNNConfig } from '../config';

/**
 * The demo's models (`main.ts` runs all five; the browser example, `examples/browser`, the three
 * nn.RNN ones): random weights and input from `seed`, the same in both implementations. The
 * three nn.RNN cases are the `seed_*` PyTorch fixtures' configurations. Data only (a type
 * import), so a page can bundle it beside the package.
 */
export interface Scenario {
  title: string;
  config: RNNConfig;
  /** `[batch, seq, inputSize]`. */
  inputShape: [number, number, number];
  zeroH0: boolean;
  /** Seed of the weights (`{ seed }`) and of the input (`tf.randomNormal`). */
  seed: number;
}

/** Three nn.RNN configurations: one layer batch_first, bidirectional, and a zero h0 given. */
export const SCENARIOS: readonly Scenario[] = [
  {
    title: 'one layer, batch_first: nn.RNN(3, 4, 1, batch_first=True), input [2, 5, 3]',
    config: { inputSize: 3, hiddenSize: 4, batchFirst: true },
    inputShape: [2, 5, 3],
    zeroH0: false,
    seed: 42,
  },
  {
    title: 'bidirectional: nn.RNN(3, 4, 1, batch_first=True, bidirectional=True), input [1, 4, 3]',
    config: { inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true },
    inputShape: [1, 4, 3],
    zeroH0: false,
    seed: 43,
  },
  {
    title: 'written out, h_prev = zeros: nn.RNN(2, 3, batch_first=True), input [2, 3, 2]',
    config: { inputSize: 2, hiddenSize: 3, batchFirst: true },
    inputShape: [2, 3, 2],
    zeroH0: true,
    seed: 44,
  },
];

/** Beyond nn.RNN: an LSTM with projection, and the GRU tf.layers cannot run. */
export const FAMILY_SCENARIOS: readonly Scenario[] = [
  {
    title: 'LSTM with projection: nn.LSTM(3, 4, batch_first=True, bidirectional=True, proj_size=2), input [1, 4, 3]',
    config: { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, projSize: 2 },
    inputShape: [1, 4, 3],
    zeroH0: false,
    seed: 45,
  },
  {
    title: "GRU (Keras's reset_after=True, which tf.layers.gru refuses): nn.GRU(3, 4, batch_first=True), input [2, 5, 3]",
    config: { mode: 'GRU', inputSize: 3, hiddenSize: 4, batchFirst: true },
    inputShape: [2, 5, 3],
    zeroH0: false,
    seed: 46,
  },
];
