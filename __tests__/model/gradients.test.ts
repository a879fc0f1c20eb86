import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { GRADIENT_TOLERANCE, ManualWholeModel } from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { ModelFixture, loadModelFixture, npyTensor } from '../helpers/modelFixtures';

/**
 * Gradients of whole models: each parameter's gradient of `sum(output * d_output)` against
 * PyTorch's autograd (scripts/make_model_fixtures.py: `d_output.npy`, `grad/<key>.npy`, eval mode).
 */

const CASES = ['gru_classifier', 'lstm_tagger', 'gru_norm_mlp', 'gru_mean_mlp', 'encoder_decoder'];

describeEachBackend(() => {
  describe.each(CASES)('%s', (name) => {
    let fixture: ModelFixture;
    beforeAll(async () => {
      fixture = await loadModelFixture(name);
    });

    it("every parameter's gradient is PyTorch's, leak-free", () => {
      const model = new ManualWholeModel(fixture.spec, fixture.stateDict);
      const input = npyTensor(fixture.inputPath);
      const dOutput = npyTensor(join(fixture.dir, 'd_output.npy'));
      try {
        const parameters = model.namedParameters();
        const expectedKeys = readdirSync(join(fixture.dir, 'grad')).map((file) => file.replace(/\.npy$/, '')).sort();
        expect([...parameters.keys()].sort()).toEqual(expectedKeys);
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.predict(input, { lengths: fixture.lengths }), dOutput)) as tf.Scalar, [...parameters.values()]);
        parameters.forEach((variable, key) => {
          const expected = npyTensor(join(fixture.dir, 'grad', `${key}.npy`));
          expectClose(grads[variable.name], expected, GRADIENT_TOLERANCE, `${name} ${key}`);
          expected.dispose();
        });
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        tf.dispose([input, dOutput]);
        model.dispose();
      }
    });
  });
});

it('the fixtures with gradients are the ones tested', () => {
  const root = join(__dirname, '..', '..', 'fixtures', 'models');
  const withGradients = readdirSync(root).filter((name) => existsSync(join(root, name, 'grad'))).sort();
  expect(withGradients).toEqual([...CASES].sort());
});
