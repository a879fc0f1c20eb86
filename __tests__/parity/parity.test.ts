import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  LayersRNN,
  ManualRNN,
  RNNOutput,
  RecurrentModel,
  copyLayersToManual,
  copyManualToLayers,
} from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { STEP_LOOPS, layersFromTorch, manualFromTorch } from '../helpers/models';
import { Fixture, configOf, loadDenseFixtures, tensorOf } from '../helpers/fixtures';

const fixtures = loadDenseFixtures();

/** Runs `model` on the fixture's input and h0. */
function run(model: RecurrentModel, fixture: Fixture): RNNOutput {
  return tf.tidy(() => model.forward(tensorOf(fixture.input), fixture.h0 ? tensorOf(fixture.h0) : undefined));
}

/** Compares `actual` with `expected` output and hN within the forward tolerance. */
function expectSameResult(
  actual: { output: tf.Tensor; hN: tf.Tensor },
  expected: { output: tf.Tensor; hN: tf.Tensor },
): void {
  try {
    expectClose(actual.output, expected.output, FORWARD_TOLERANCE, 'output');
    expectClose(actual.hN, expected.hN, FORWARD_TOLERANCE, 'h_n');
  } finally {
    tf.dispose([actual.output, actual.hN, expected.output, expected.hN]);
  }
}

function torchResult(fixture: Fixture): { output: tf.Tensor; hN: tf.Tensor } {
  return { output: tensorOf(fixture.output), hN: tensorOf(fixture.h_n) };
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
      withModels([manual], () => expectSameResult(run(manual, fixture), torchResult(fixture)));
    });

    test('tf.layers twin matches PyTorch', () => {
      const layers = layersFromTorch(fixture);
      withModels([layers], () => expectSameResult(run(layers, fixture), torchResult(fixture)));
    });

    test('twin matches hand-written after copying hand-written → twin', () => {
      const manual = manualFromTorch(fixture);
      const layers = new LayersRNN(configOf(fixture), { seed: 7 });
      withModels([manual, layers], () => {
        copyManualToLayers(manual, layers);
        expectSameResult(run(layers, fixture), run(manual, fixture));
      });
    });

    test('hand-written matches twin after copying twin → hand-written', () => {
      const layers = new LayersRNN(configOf(fixture), { seed: 11 });
      const manual = new ManualRNN(configOf(fixture), { seed: 13 });
      withModels([manual, layers], () => {
        copyLayersToManual(layers, manual);
        expectSameResult(run(manual, fixture), run(layers, fixture));
      });
    });
  });
});
