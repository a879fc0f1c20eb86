/**
 * The original notebook, on TensorFlow.js: builds both implementations with the same
 * weights, runs them on the notebook's three scenarios (and an LSTM and a GRU) and prints
 * their outputs side by side with the largest difference.
 * `node dist/demo.js [--backend wasm|cpu|tensorflow]`.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'util';
import { BackendName, RNNConfig, copyManualToLayers, createLayersModel, createManualModel, initBackend } from './index';

interface Scenario {
  title: string;
  config: RNNConfig;
  /** `[batch, seq, inputSize]`. */
  inputShape: [number, number, number];
  zeroH0: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'one layer, batch_first: nn.RNN(3, 4, 1, batch_first=True), input [2, 5, 3]',
    config: { inputSize: 3, hiddenSize: 4, batchFirst: true },
    inputShape: [2, 5, 3],
    zeroH0: false,
  },
  {
    title: 'bidirectional: nn.RNN(3, 4, 1, batch_first=True, bidirectional=True), input [1, 4, 3]',
    config: { inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true },
    inputShape: [1, 4, 3],
    zeroH0: false,
  },
  {
    title: 'written out, h_prev = zeros: nn.RNN(2, 3, batch_first=True), input [2, 3, 2]',
    config: { inputSize: 2, hiddenSize: 3, batchFirst: true },
    inputShape: [2, 3, 2],
    zeroH0: true,
  },
  {
    title: 'LSTM with projection: nn.LSTM(3, 4, batch_first=True, bidirectional=True, proj_size=2), input [1, 4, 3]',
    config: { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, projSize: 2 },
    inputShape: [1, 4, 3],
    zeroH0: false,
  },
  {
    title: "GRU (Keras's reset_after=True, which tf.layers.gru refuses): nn.GRU(3, 4, batch_first=True), input [2, 5, 3]",
    config: { mode: 'GRU', inputSize: 3, hiddenSize: 4, batchFirst: true },
    inputShape: [2, 5, 3],
    zeroH0: false,
  },
];

function formatRows(tensor: tf.Tensor): string[] {
  const values = tensor.arraySync() as number[][][];
  return values.flatMap((matrix, index) => [
    ...(index > 0 ? [''] : []),
    ...matrix.map((row) => row.map((value) => value.toFixed(4).padStart(7)).join(' ')),
  ]);
}

/** Prints two tensors' rows next to each other under their names. */
function printSideBySide(name: string, left: tf.Tensor, right: tf.Tensor): void {
  const leftRows = formatRows(left);
  const rightRows = formatRows(right);
  const width = Math.max(...leftRows.map((row) => row.length), 'hand-written'.length);
  console.log(`  ${name} ${JSON.stringify(left.shape)}`);
  console.log(`    ${'hand-written'.padEnd(width)}  |  tf.layers`);
  leftRows.forEach((row, i) => console.log(`    ${row.padEnd(width)}  |  ${rightRows[i]}`));
}

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function runScenario(scenario: Scenario, seed: number): number {
  const manual = createManualModel(scenario.config, { seed });
  const layers = createLayersModel(scenario.config);
  copyManualToLayers(manual, layers);
  manual.eval();
  layers.eval();
  const [batch] = scenario.inputShape;
  const largest = tf.tidy(() => {
    const input = tf.randomNormal(scenario.inputShape, 0, 1, 'float32', seed);
    const h0 = scenario.zeroH0 ? tf.zeros([1, batch, manual.config.hiddenSize]) : undefined;
    const mine = manual.forward(input, h0);
    const api = layers.forward(input, h0);
    console.log(`\n${scenario.title}`);
    printSideBySide('output', mine.output, api.output);
    printSideBySide('h_n', mine.hN, api.hN);
    if (mine.cN && api.cN) printSideBySide('c_n', mine.cN, api.cN);
    const pairs = (['output', 'hN', 'cN'] as const).filter((key) => mine[key] && api[key]);
    const difference = Math.max(...pairs.map((key) => maxAbsDifference(mine[key]!, api[key]!)));
    console.log(`  max |hand-written − tf.layers| = ${difference.toExponential(2)}`);
    return difference;
  });
  manual.dispose();
  layers.dispose();
  return largest;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string' } } });
  const backend = await initBackend(values.backend as BackendName | undefined);
  console.log(`tfjs-rnn demo on the ${backend} backend`);
  const largest = Math.max(...SCENARIOS.map((scenario, index) => runScenario(scenario, 42 + index)));
  console.log(`\nbackend: ${backend}; largest difference over all scenarios: ${largest.toExponential(2)}`);
  console.log(`(float32 machine epsilon: ${(2 ** -23).toExponential(2)})`);
}

main().catch((error: Error) => {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
});
