import * as tf from '@tensorflow/tfjs';
import {
  ManualModel,
  RNNOutput,
  RecurrentModel,
  Tolerance,
  copyLayersToManual,
  copyManualToLayers,
  createLayersModel,
  createManualModel,
} from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { STEP_LOOPS, layersFromTorch, manualFromTorch } from '../helpers/models';
import { Fixture, configOf, initialStateOf, loadParityFixtures, tensorOf, torchResultOf } from '../helpers/fixtures';
import { CROSS_TOLERANCE, PARITY_TOLERANCE } from '../helpers/tolerances';

/**
 * Every dense fixture, the grid's layout factors covered pairwise (`loadParityFixtures`).
 * Every engine meets PyTorch here: loop 'host' is the host engine; 'tensor' the wasm engine
 * on wasm and the tensor engine elsewhere ('auto' picks one of them: plan.test.ts; the
 * models copied between the two implementations run under it).
 */
const fixtures = loadParityFixtures();

/** Runs `model` on the fixture's input and initial states. */
function run(model: RecurrentModel, fixture: Fixture): RNNOutput {
  return tf.tidy(() => model.forward(tensorOf(fixture.input), initialStateOf(fixture)));
}

/** Runs `model.forwardOnHost` on the fixture, in and out of its layout on the host by tf ops. */
function runOnHost(model: ManualModel, fixture: Fixture): RNNOutput {
  const { config } = model;
  return tf.tidy(() => {
    const input = tensorOf(fixture.input);
    const batched = input.rank === 3;
    const timeMajor = !batched ? tf.expandDims(input, 1) : config.batchFirst ? tf.transpose(input, [1, 0, 2]) : input;
    const [seqLen, batchSize] = timeMajor.shape;
    const states = ([] as tf.Tensor[]).concat(initialStateOf(fixture) ?? []).map((state) => state.dataSync() as Float32Array);
    const result = model.forwardOnHost(timeMajor.dataSync() as Float32Array, seqLen, batchSize, states.length > 0 ? states : undefined);
    const output = tf.tensor3d(result.output, [seqLen, batchSize, result.output.length / (seqLen * batchSize)]);
    const inLayout = !batched ? tf.squeeze(output, [1]) : config.batchFirst ? tf.transpose(output, [1, 0, 2]) : output;
    const [hN, cN] = result.states.map((state) => {
      const features = state.length / (config.numLayers * batchSize);
      return batched ? tf.tensor3d(state, [config.numLayers, batchSize, features]) : tf.tensor2d(state, [config.numLayers, features]);
    });
    return { output: inLayout, hN, ...(cN && { cN }) };
  });
}

/** Compares `actual` with `expected` output, hN and (LSTM) cN within `tolerance` (PyTorch's numbers: `PARITY_TOLERANCE`). */
function expectSameResult(actual: RNNOutput, expected: RNNOutput, tolerance: Tolerance = PARITY_TOLERANCE): void {
  try {
    expectClose(actual.output, expected.output, tolerance, 'output');
    expectClose(actual.hN, expected.hN, tolerance, 'h_n');
    expect(actual.cN === undefined).toBe(expected.cN === undefined);
    if (expected.cN) expectClose(actual.cN!, expected.cN, tolerance, 'c_n');
  } finally {
    tf.dispose([...Object.values(actual), ...Object.values(expected)]);
  }
}

function withModels(models: RecurrentModel[], body: () => void): void {
  try {
    body();
  } finally {
    models.forEach((model) => model.dispose());
  }
}

describeEachBackend(() => {
  describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_, fixture) => {
    test.each(STEP_LOOPS)('hand-written (%s loop) matches PyTorch', (loop) => {
      const manual = manualFromTorch(fixture, { loop });
      withModels([manual], () => expectSameResult(run(manual, fixture), torchResultOf(fixture)));
    });

    if (!fixture.config.bidirectional) {
      test('hand-written on host arrays (forwardOnHost, as streaming runs small calls) matches PyTorch', () => {
        const manual = manualFromTorch(fixture);
        manual.eval();
        withModels([manual], () => expectSameResult(runOnHost(manual, fixture), torchResultOf(fixture)));
      });
    }

    test('tf.layers twin matches PyTorch', () => {
      const layers = layersFromTorch(fixture);
      withModels([layers], () => expectSameResult(run(layers, fixture), torchResultOf(fixture)));
    });

    test('twin matches hand-written after copying hand-written → twin', () => {
      const manual = manualFromTorch(fixture);
      const layers = createLayersModel(configOf(fixture), { seed: 7 });
      withModels([manual, layers], () => {
        copyManualToLayers(manual, layers);
        expectSameResult(run(layers, fixture), run(manual, fixture), CROSS_TOLERANCE);
      });
    });

    test('hand-written matches twin after copying twin → hand-written', () => {
      const layers = createLayersModel(configOf(fixture), { seed: 11 });
      const manual = createManualModel(configOf(fixture), { seed: 13 });
      withModels([manual, layers], () => {
        copyLayersToManual(layers, manual);
        expectSameResult(run(manual, fixture), run(layers, fixture), CROSS_TOLERANCE);
      });
    });
  });
});
