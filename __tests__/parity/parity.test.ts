import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  RNNOutput,
  RecurrentModel,
  copyLayersToManual,
  copyManualToLayers,
  createLayersModel,
  createManualModel,
} from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { STEP_LOOPS, layersFromTorch, manualFromTorch } from '../helpers/models';
import { Fixture, configOf, initialStateOf, loadDenseFixtures, tensorOf, torchResultOf } from '../helpers/fixtures';

const fixtures = loadDenseFixtures();

/** Runs `model` on the fixture's input and initial states. */
function run(model: RecurrentModel, fixture: Fixture): RNNOutput {
  return tf.tidy(() => model.forward(tensorOf(fixture.input), initialStateOf(fixture)));
}

/** Compares `actual` with `expected` output, hN and (LSTM) cN within the forward tolerance. */
function expectSameResult(actual: RNNOutput, expected: RNNOutput): void {
  try {
    expectClose(actual.output, expected.output, FORWARD_TOLERANCE, 'output');
    expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, 'h_n');
    expect(actual.cN === undefined).toBe(expected.cN === undefined);
    if (expected.cN) expectClose(actual.cN!, expected.cN, FORWARD_TOLERANCE, 'c_n');
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

    test('tf.layers twin matches PyTorch', () => {
      const layers = layersFromTorch(fixture);
      withModels([layers], () => expectSameResult(run(layers, fixture), torchResultOf(fixture)));
    });

    test('twin matches hand-written after copying hand-written → twin', () => {
      const manual = manualFromTorch(fixture);
      const layers = createLayersModel(configOf(fixture), { seed: 7 });
      withModels([manual, layers], () => {
        copyManualToLayers(manual, layers);
        expectSameResult(run(layers, fixture), run(manual, fixture));
      });
    });

    test('hand-written matches twin after copying twin → hand-written', () => {
      const layers = createLayersModel(configOf(fixture), { seed: 11 });
      const manual = createManualModel(configOf(fixture), { seed: 13 });
      withModels([manual, layers], () => {
        copyLayersToManual(layers, manual);
        expectSameResult(run(manual, fixture), run(layers, fixture));
      });
    });
  });
});
