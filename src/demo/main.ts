/**
 * `npm run demo`: five small models (three nn.RNN, an nn.LSTM with projection, an nn.GRU), each
 * built twice with the same random weights, hand-written and as its tf.layers twin; runs both on
 * the same random input and prints their outputs side by side with the largest difference.
 * `node dist/demo/main.js [--backend wasm|cpu|tensorflow]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'util';
import { BackendName, copyManualToLayers, createLayersModel, createManualModel, initBackend } from '../index';
import { FAMILY_SCENARIOS, SCENARIOS, Scenario } from './scenarios';

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

function runScenario(scenario: Scenario): number {
  const { seed } = scenario;
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
  const scenarios = [...SCENARIOS, ...FAMILY_SCENARIOS];
  console.log(`tfjs-rnn demo on the ${backend} backend: ${scenarios.length} models, each hand-written and as its tf.layers twin with the same random weights`);
  const largest = Math.max(...scenarios.map(runScenario));
  console.log(`\nbackend: ${backend}; largest difference over all scenarios: ${largest.toExponential(2)}`);
  console.log(`(float32 machine epsilon: ${(2 ** -23).toExponential(2)})`);
}

main().catch((error: Error) => {
  console.error(`${error.name}: ${error.message}`);
  process.exit(1);
});
