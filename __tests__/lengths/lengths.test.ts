import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  FORWARD_TOLERANCE,
  InitialState,
  ManualRNN,
  RNNConfig,
  RNNOutput,
  RecurrentModel,
  ShapeError,
  StepLoop,
  checkConfig,
  copyManualToLayers,
  createLayersModel,
  createManualModel,
  stateShapes,
} from '../../src';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { Fixture, initialStateOf, loadFixtures, tensorOf, torchResultOf } from '../helpers/fixtures';
import { layersFromTorch, manualFromTorch } from '../helpers/models';

const packedFixtures = loadFixtures('packed_');

type Implementation = 'hand-written, host loop' | 'hand-written, tensor loop' | 'tf.layers twin';
const IMPLEMENTATIONS: Implementation[] = ['hand-written, host loop', 'hand-written, tensor loop', 'tf.layers twin'];

/** The step loop of a hand-written implementation. */
function loopOf(implementation: Implementation): StepLoop {
  return implementation.endsWith('host loop') ? 'host' : 'tensor';
}

/** A model of either implementation holding the same weights (the hand-written model's, seeded). */
function buildModel(implementation: Implementation, config: RNNConfig, seed = 1): RecurrentModel {
  const manual = createManualModel(config, { seed, loop: loopOf(implementation) });
  if (implementation !== 'tf.layers twin') return manual;
  const layers = createLayersModel(config);
  copyManualToLayers(manual, layers);
  manual.dispose();
  return layers;
}

function modelFromTorch(implementation: Implementation, fixture: Fixture): RecurrentModel {
  return implementation === 'tf.layers twin' ? layersFromTorch(fixture) : manualFromTorch(fixture, { loop: loopOf(implementation) });
}

function disposeOutput(result: RNNOutput): void {
  tf.dispose(Object.values(result));
}

function expectSameOutput(actual: RNNOutput, expected: RNNOutput, label = ''): void {
  try {
    expectClose(actual.output, expected.output, FORWARD_TOLERANCE, `${label}output`);
    expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, `${label}h_n`);
    expect(actual.cN === undefined).toBe(expected.cN === undefined);
    if (expected.cN) expectClose(actual.cN!, expected.cN, FORWARD_TOLERANCE, `${label}c_n`);
  } finally {
    disposeOutput(actual);
    disposeOutput(expected);
  }
}

/** Sequence b of a `[N, L, F]` (batchFirst) or `[L, N, F]` batch, cut to its first `length` steps, as a batch of one. */
function sequenceOf(batch: tf.Tensor, b: number, length: number, batchFirst: boolean): tf.Tensor {
  const features = batch.shape[2] as number;
  return batchFirst ? tf.slice(batch, [b, 0, 0], [1, length, features]) : tf.slice(batch, [0, b, 0], [length, 1, features]);
}

describeEachBackend((backend) => {
  describe.each(IMPLEMENTATIONS)('%s', (implementation) => {
    describe('matches PyTorch pack_padded_sequence(enforce_sorted=False)', () => {
      test.each(packedFixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_, fixture) => {
        const model = modelFromTorch(implementation, fixture);
        try {
          const actual = tf.tidy(() => model.forward(tensorOf(fixture.input), initialStateOf(fixture), { lengths: fixture.lengths as number[] }));
          expectSameOutput(actual, torchResultOf(fixture));
        } finally {
          model.dispose();
        }
      });
    });

    describe('a padded batch gives what each sequence gives alone, cut to its length', () => {
      const configs: Array<[string, RNNConfig, boolean]> = [
        ['1 layer, batchFirst', { inputSize: 3, hiddenSize: 4, batchFirst: true }, false],
        ['2 layers, bidirectional, relu, time-major, h0', { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, nonlinearity: 'relu' }, true],
        ['3 layers, bidirectional, batchFirst, no bias', { inputSize: 2, hiddenSize: 5, numLayers: 3, bidirectional: true, batchFirst: true, bias: false }, false],
        ['LSTM, 2 layers, bidirectional, projSize, h0 and c0', { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, projSize: 2 }, true],
        ['LSTM, batchFirst', { mode: 'LSTM', inputSize: 3, hiddenSize: 4, batchFirst: true }, false],
        ['GRU, 2 layers, bidirectional, batchFirst, h0', { mode: 'GRU', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true }, true],
      ];
      test.each(configs)('%s', (_, config, withH0) => {
        const lengths = [4, 7, 1, 7, 3];
        const [batchSize, seqLen] = [lengths.length, 7];
        const model = buildModel(implementation, config);
        const input = tf.randomNormal(config.batchFirst ? [batchSize, seqLen, config.inputSize] : [seqLen, batchSize, config.inputSize], 0, 1, 'float32', 7);
        const states = withH0
          ? stateShapes(checkConfig(config), { batched: true, batchSize, seqLen }).map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 8 + i))
          : [];
        const hxOf = (tensors: tf.Tensor[]) => (tensors.length === 0 ? undefined : tensors.length === 1 ? tensors[0] : (tensors as InitialState));
        const stateOf = (state: tf.Tensor, b: number) => tf.slice(state, [0, b, 0], [-1, 1, -1]);
        try {
          const batched = model.forward(input, hxOf(states), { lengths });
          lengths.forEach((length, b) => {
            const expected = tf.tidy(() =>
              model.forward(sequenceOf(input, b, length, !!config.batchFirst), hxOf(states.map((state) => stateOf(state, b)))),
            );
            const actual = tf.tidy(() => {
              const width = batched.output.shape[2] as number;
              const output = sequenceOf(batched.output, b, seqLen, !!config.batchFirst);
              const valid = sequenceOf(output, 0, length, !!config.batchFirst);
              const padded = config.batchFirst ? tf.slice(output, [0, length, 0], [1, -1, width]) : tf.slice(output, [length, 0, 0], [-1, 1, width]);
              expect(Array.from(padded.dataSync()).every((value) => value === 0)).toBe(true);
              return { output: valid, hN: stateOf(batched.hN, b), ...(batched.cN && { cN: stateOf(batched.cN, b) }) };
            });
            expectSameOutput(actual, expected, `sequence ${b}: `);
          });
          disposeOutput(batched);
        } finally {
          tf.dispose([input, ...states]);
          model.dispose();
        }
      });
    });

    test('lengths that are all the sequence length change nothing, and padding values do not matter', () => {
      const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true };
      const model = buildModel(implementation, config);
      const input = tf.randomNormal([3, 5, 3], 0, 1, 'float32', 9);
      try {
        const read = ({ output, hN }: RNNOutput) => {
          const values = [Array.from(output.dataSync()), Array.from(hN.dataSync())];
          disposeOutput({ output, hN });
          return values;
        };
        expect(read(model.forward(input, undefined, { lengths: Int32Array.from([5, 5, 5]) }))).toEqual(read(model.forward(input)));
        const lengths = [2, 5, 3];
        const repadded = tf.tidy(() => {
          const mask = tf.tensor3d(lengths.flatMap((length) => [0, 1, 2, 3, 4].map((t) => (t < length ? 1 : 0))), [3, 5, 1]);
          return tf.add(tf.mul(input, mask), tf.mul(tf.sub(1, mask), 100));
        });
        expect(read(model.forward(repadded, undefined, { lengths }))).toEqual(read(model.forward(input, undefined, { lengths })));
        repadded.dispose();
      } finally {
        input.dispose();
        model.dispose();
      }
    });

    describe('bad lengths: a typed error naming lengths, before any work', () => {
      const config: RNNConfig = { inputSize: 3, hiddenSize: 4, batchFirst: true };
      const cases: Array<[string, unknown, number[], typeof ArgumentError, RegExp]> = [
        ['a zero length', [3, 0], [2, 5, 3], ArgumentError, /^lengths\[1\]: expected an integer in \[1, 5\] \(the sequence length\), got 0$/],
        ['a length above the sequence length', [6, 2], [2, 5, 3], ArgumentError, /^lengths\[0\]: expected an integer in \[1, 5\] \(the sequence length\), got 6$/],
        ['a non-integer length', [2.5, 2], [2, 5, 3], ArgumentError, /^lengths\[0\]: expected an integer in \[1, 5\] \(the sequence length\), got 2\.5$/],
        ['a length that is not a number', [2, '3'], [2, 5, 3], ArgumentError, /^lengths\[1\]: expected an integer in \[1, 5\] \(the sequence length\), got '3'$/],
        ['NaN', [NaN, 2], [2, 5, 3], ArgumentError, /^lengths\[0\]: expected an integer .*, got NaN$/],
        ['too few lengths', [3], [2, 5, 3], ShapeError, /^lengths: expected 2 lengths \(one per batch element\), got 1 lengths$/],
        ['too many lengths', Int32Array.from([3, 3, 3]), [2, 5, 3], ShapeError, /^lengths: expected 2 lengths \(one per batch element\), got 3 lengths$/],
        ['not an array', 3, [2, 5, 3], ArgumentError, /^lengths: expected a number\[\] or Int32Array, got 3$/],
        ['another typed array', Float32Array.from([3, 3]), [2, 5, 3], ArgumentError, /^lengths: expected a number\[\] or Int32Array, got Float32Array\(2\)$/],
        ['unbatched input', [5], [5, 3], ShapeError, /^lengths: expected no lengths with unbatched 2-D input \(PyTorch packs batches only; .*\), got 1 lengths$/],
      ];
      test.each(cases)('%s', (_, lengths, shape, errorType, message) => {
        const model = buildModel(implementation, config);
        const input = tf.zeros(shape);
        try {
          const before = tf.memory().numTensors;
          const call = () => model.forward(input, undefined, { lengths: lengths as number[] });
          expect(call).toThrow(errorType);
          expect(call).toThrow(message);
          expect(tf.memory().numTensors).toBe(before);
        } finally {
          input.dispose();
          model.dispose();
        }
      });
    });

    test('forward with lengths keeps the tensor count flat', () => {
      const model = buildModel(implementation, { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
      const input = tf.randomNormal([5, 3, 3], 0, 1, 'float32', 12);
      try {
        expectNoLeak(() => disposeOutput(model.forward(input, undefined, { lengths: [5, 1, 3] })));
      } finally {
        input.dispose();
        model.dispose();
      }
    });
  });

  // On wasm the steps call the kernels directly and mask by copying rows (engines/wasm, wasmSteps.test.ts).
  if (backend === 'wasm') return;
  describe('hand-written recurrence, tf-op steps: masking costs nothing without lengths', () => {
    const config: RNNConfig = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, batchFirst: true };

    /** Kernel names the forward pass runs, counted. */
    async function kernelCounts(lengths?: number[]): Promise<Map<string, number>> {
      const model = new ManualRNN(config, { seed: 2, loop: 'tensor' });
      const input = tf.randomNormal([3, 6, 3], 0, 1, 'float32', 13);
      const info = await tf.profile(() => {
        const { output, hN } = model.forward(input, undefined, { lengths });
        return [output, hN];
      });
      tf.dispose(info.result as tf.Tensor[]);
      input.dispose();
      model.dispose();
      const counts = new Map<string, number>();
      info.kernels.forEach(({ name }) => counts.set(name, (counts.get(name) ?? 0) + 1));
      return counts;
    }

    test('no per-step select without lengths; one per direction, layer and step past the shortest sequence with them', async () => {
      const plain = await kernelCounts();
      expect(plain.get('Select')).toBeUndefined();
      // Lengths as long as the sequence mask no step: only the final zeroing multiply is added.
      const full = await kernelCounts([6, 6, 6]);
      expect(full.get('Select')).toBeUndefined();
      // Shortest sequence 2 of 6: 4 masked steps × 2 directions × 2 layers.
      const packed = await kernelCounts([6, 2, 4]);
      expect(packed.get('Select')).toBe(4 * 2 * 2);
    });
  });
});
