import { RNNConfig, checkConfig, outputSize } from '../../src';
import { cellFor } from '../../src/manual/cells';
import { hostStepsFor } from '../../src/manual/engines/host';
import { HostProduct, LoopProduct, ProductWeights, createHostProduct } from '../../src/manual/engines/host/product';
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
 * Every cell's host steps run on `HostProduct`s; the SIMD kernels and the plain loops that
 * stand in where WebAssembly SIMD is missing must give the same states, bit for bit, through
 * a whole sequence: the products, the activations of every gate and the arithmetic between
 * them feed each other step after step.
 */
describe.each(CONFIGS)('%j: host steps on the SIMD kernels and on the plain loops', (config) => {
  const full = checkConfig(config);
  const cell = cellFor(full);
  const [seqLen, batchSize] = [9, 3];
  const gateSize = { RNN: 1, LSTM: 4, GRU: 3 }[full.mode] * full.hiddenSize;
  const hOut = outputSize(full);
  const sizes = cell.stateSizes(full);

  function run(build: (weights: ProductWeights) => HostProduct, options: { reverse: boolean; lengths?: Int32Array }): Float32Array[] {
    const recurrent = build({ weightsT: seededFloats(hOut * gateSize, 1, 0.6), rows: gateSize, columns: hOut });
    const outputProjection = full.projSize ? build({ weightsT: seededFloats(full.hiddenSize * hOut, 2, 0.6), rows: hOut, columns: full.hiddenSize }) : undefined;
    return hostStepsFor(full)({
      dims: { seqLen, batchSize, hiddenSize: hOut },
      projection: seededFloats(seqLen * batchSize * gateSize, 3, 2),
      initial: sizes.map((size, i) => seededFloats(batchSize * size, 4 + i, 1)),
      recurrent,
      hiddenBias: full.mode === 'GRU' && full.bias ? seededFloats(full.hiddenSize, 6, 1) : undefined,
      outputProjection,
      ...options,
    });
  }

  test.each([
    ['forward', { reverse: false }],
    ['reverse, with lengths', { reverse: true, lengths: Int32Array.from([9, 4, 1]) }],
  ] as const)('%s: the same bits', (_, options) => {
    const [kernels, loops] = [createHostProduct, (weights: ProductWeights) => new LoopProduct(weights)].map((build) => run(build, options));
    expect(kernels.map((states) => states.length)).toEqual(sizes.map((size) => seqLen * batchSize * size));
    kernels.forEach((states, i) => expect(Array.from(states)).toEqual(Array.from(loops[i])));
  });
});
