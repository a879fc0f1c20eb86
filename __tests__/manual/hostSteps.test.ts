import { RNNConfig, checkConfig, outputSize } from '../../src';
import { cellFor } from '../../src/manual/cells';
import { FusedSteps, createFusedSteps } from '../../src/manual/engines/host';
import { seededFloats } from '../helpers/floats';

const CONFIGS: RNNConfig[] = [
  { mode: 'RNN', inputSize: 3, hiddenSize: 7 },
  { mode: 'RNN', inputSize: 3, hiddenSize: 5, nonlinearity: 'relu' },
  { mode: 'LSTM', inputSize: 3, hiddenSize: 7 },
  { mode: 'LSTM', inputSize: 3, hiddenSize: 6, projSize: 3 },
  { mode: 'GRU', inputSize: 3, hiddenSize: 7 },
  { mode: 'GRU', inputSize: 3, hiddenSize: 5, bias: false },
];

/**
 * Every cell's fused host steps (one kernel call per step: the product, the activations and
 * the state update) on the SIMD kernels and on the plain loops that stand in where WebAssembly
 * SIMD is missing must give the same states, bit for bit, through a whole sequence: the
 * products, the activations of every gate and the arithmetic between them feed each other
 * step after step. States stay in the kernels' memory between calls.
 */
describe.each(CONFIGS)('%j: fused host steps on the SIMD kernels and on the plain loops', (config) => {
  const full = checkConfig(config);
  const sizes = cellFor(full).stateSizes(full);
  const [seqLen, batchSize] = [9, 3];
  const gateSize = { RNN: 1, LSTM: 4, GRU: 3 }[full.mode] * full.hiddenSize;
  const hOut = outputSize(full);
  const projection = seededFloats(seqLen * batchSize * gateSize, 3, 2);
  const initial = sizes.map((size, i) => seededFloats(batchSize * size, 4 + i, 1));

  function build(plainLoops: boolean, input = false): FusedSteps {
    return createFusedSteps(
      full,
      {
        recurrentT: seededFloats(hOut * gateSize, 1, 0.6),
        projectionT: full.projSize ? seededFloats(full.hiddenSize * hOut, 2, 0.6) : undefined,
        hiddenBias: full.mode === 'GRU' && full.bias ? seededFloats(full.hiddenSize, 6, 1) : undefined,
        input: input ? { weightsT: seededFloats(full.inputSize * gateSize, 7, 0.6), columns: full.inputSize, bias: seededFloats(gateSize, 8, 1) } : undefined,
      },
      hOut,
      plainLoops,
    );
  }

  function run(plainLoops: boolean, options: { reverse: boolean; lengths?: Int32Array }): Float32Array[] {
    const steps = build(plainLoops);
    steps.reserve(seqLen, batchSize);
    steps.setProjection(projection, seqLen * batchSize);
    steps.setStates(batchSize, initial);
    steps.run(seqLen, batchSize, options.reverse, options.lengths, sizes.length > 1);
    const result = [steps.hiddenSequence().slice(), steps.cellSequence().slice()].slice(0, sizes.length);
    steps.release();
    return result;
  }

  test.each([
    ['forward', { reverse: false }],
    ['reverse, with lengths', { reverse: true, lengths: Int32Array.from([9, 4, 1]) }],
  ] as const)('%s: the same bits', (_, options) => {
    const [kernels, loops] = [false, true].map((plainLoops) => run(plainLoops, options));
    expect(kernels.map((states) => states.length)).toEqual(sizes.map((size) => seqLen * batchSize * size));
    kernels.forEach((states, i) => expect(Array.from(states)).toEqual(Array.from(loops[i])));
  });

  test('a row whose sequence has ended keeps its states', () => {
    const [states] = [run(false, { reverse: false, lengths: Int32Array.from([9, 4, 0]) })];
    const row = (step: number, b: number) => Array.from(states[0].subarray((step * batchSize + b) * hOut, (step * batchSize + b + 1) * hOut));
    expect(row(8, 1)).toEqual(row(3, 1));
    expect(row(0, 2)).toEqual(Array.from(initial[0].subarray(2 * hOut, 3 * hOut)));
    expect(row(8, 0)).not.toEqual(row(3, 0));
  });

  test.each([false, true])('plain loops %s: states stay in memory from call to call (chunks give the bits of one call)', (plainLoops) => {
    const x = seededFloats(seqLen * batchSize * full.inputSize, 9, 1);
    const whole = build(plainLoops, true);
    whole.reserve(seqLen, batchSize);
    whole.setStates(batchSize, initial);
    whole.project(x, 0, seqLen * batchSize);
    whole.run(seqLen, batchSize, false);
    const expected = Array.from(whole.hiddenSequence());
    const finalStates = sizes.map((_, s) => Array.from(whole.state(s, batchSize)));
    whole.release();
    const chunked = build(plainLoops, true);
    chunked.reserve(1, batchSize);
    chunked.setStates(batchSize, initial);
    const outputs: number[] = [];
    for (const [start, length] of [[0, 1], [1, 5], [6, 1], [7, 2]]) {
      chunked.reserve(length, batchSize);
      chunked.project(x, start * batchSize * full.inputSize, length * batchSize);
      chunked.run(length, batchSize, false);
      outputs.push(...chunked.hiddenSequence());
    }
    expect(outputs).toEqual(expected);
    sizes.forEach((_, s) => expect(Array.from(chunked.state(s, batchSize))).toEqual(finalStates[s]));
    chunked.release();
  });
});
