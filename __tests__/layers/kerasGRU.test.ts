import * as tf from '@tensorflow/tfjs';
import {
  FORWARD_TOLERANCE,
  GRUResetAfter,
  GRUResetAfterCell,
  LSTMProjection,
  LSTMProjectionCell,
} from '../../src';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { loadKerasCases } from '../helpers/cellFixtures';
import { expectClose } from '../helpers/expectClose';
import { tensorOf } from '../helpers/fixtures';

const kerasCases = loadKerasCases();

/** tfjs's own GRU class, which `tf.layers.gru` builds (it computes Keras's reset_after=False GRU). */
const TfjsGRU = tf.layers.gru({ units: 1 }).constructor;

/** The recurrent layers of `model`: each layer, or the two a Bidirectional wraps. */
function recurrentLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => {
    if (layer.getClassName() !== 'Bidirectional') return [layer];
    const { forwardLayer, backwardLayer } = layer as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
    return [forwardLayer, backwardLayer];
  });
}

/** What `model.save` writes, kept in memory. */
async function savedArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts as tf.io.ModelArtifacts;
}

/** Saves `model` to memory and loads it back with `tf.loadLayersModel`. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(await savedArtifacts(model)));
}

/** The topology `model.save` writes (the Keras JSON form, where unset options are null). */
async function savedTopology(model: tf.LayersModel): Promise<unknown> {
  return (await savedArtifacts(model)).modelTopology;
}

/** Every output of `model` on `input`, as plain arrays. */
function predictions(model: tf.LayersModel, input: tf.Tensor): number[][] {
  const outputs = [model.predict(input)].flat();
  const values = outputs.map((output) => Array.from(output.dataSync()));
  tf.dispose(outputs);
  return values;
}

function disposeModels(models: tf.LayersModel[]): void {
  models.forEach((model) => model.dispose());
}

describeEachBackend(() => {
  describe.each(kerasCases.map((kerasCase) => [kerasCase.name, kerasCase] as const))('Keras file %s', (_, kerasCase) => {
    test('tf.loadLayersModel reads it and predicts what nn.GRU does, without leaks', async () => {
      const model = await tf.loadLayersModel(`file://${kerasCase.modelPath}`);
      const input = tensorOf(kerasCase.input);
      const expected = tensorOf(kerasCase.output);
      try {
        const grus = recurrentLayers(model).filter((layer) => layer.getClassName() === 'GRU');
        expect(grus).toHaveLength(kerasCase.name === 'gru_bidirectional' ? 2 : 1);
        grus.forEach((layer) => expect(layer).toBeInstanceOf(GRUResetAfter));
        const output = model.predict(input) as tf.Tensor;
        expectClose(output, expected, FORWARD_TOLERANCE, `${kerasCase.name} prediction`);
        tf.dispose(output);
        expectNoLeak(() => tf.dispose(model.predict(input)));
      } finally {
        tf.dispose([input, expected]);
        model.dispose();
      }
    });

    test('saved by tfjs, it stays class GRU with reset_after: true and loads back to the same predictions', async () => {
      const model = await tf.loadLayersModel(`file://${kerasCase.modelPath}`);
      const saved = await savedArtifacts(model);
      const topology = JSON.stringify(saved.modelTopology);
      expect(topology).toContain('"class_name":"GRU"');
      expect(topology).toContain('"reset_after":true');
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
      const input = tensorOf(kerasCase.input);
      try {
        expect(predictions(loaded, input)).toEqual(predictions(model, input));
      } finally {
        tf.dispose(input);
        disposeModels([model, loaded]);
      }
    });
  });

  describe("tfjs's own GRU (reset_after=false) loads as before", () => {
    test.each([
      ['alone', () => tf.layers.gru({ units: 4, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })],
      ['in Bidirectional', () => tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }) })],
    ])('%s: same class, same predictions', async (_, makeLayer) => {
      const input = tf.input({ shape: [null, 3] });
      const model = tf.model({ inputs: input, outputs: makeLayer().apply(input) as tf.SymbolicTensor });
      const loaded = await roundTrip(model);
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
      try {
        const layers = recurrentLayers(loaded).filter((layer) => layer.getClassName() === 'GRU');
        expect(layers.length).toBeGreaterThan(0);
        layers.forEach((layer) => expect(layer.constructor).toBe(TfjsGRU));
        expect(predictions(loaded, x)).toEqual(predictions(model, x));
      } finally {
        tf.dispose(x);
        disposeModels([model, loaded]);
      }
    });
  });

  describe('serialization round trip (model.save, then tf.loadLayersModel from memory)', () => {
    const seeded = (seed: number) => ({
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 2 }),
    });
    const sequenceAndStates = { returnSequences: true, returnState: true };
    test.each([
      ['tf.layers.rnn over GRUResetAfterCell', () => tf.layers.rnn({ cell: new GRUResetAfterCell({ units: 4, ...seeded(1) }), ...sequenceAndStates })],
      ['GRUResetAfter without bias, relu', () => new GRUResetAfter({ units: 4, useBias: false, activation: 'relu', ...seeded(4), ...sequenceAndStates })],
      ['Bidirectional GRUResetAfter', () => tf.layers.bidirectional({ layer: new GRUResetAfter({ units: 4, ...seeded(7), ...sequenceAndStates }) })],
      ['tf.layers.rnn over LSTMProjectionCell', () => tf.layers.rnn({ cell: new LSTMProjectionCell({ units: 5, projectionUnits: 2, ...seeded(10), projectionInitializer: tf.initializers.glorotUniform({ seed: 13 }) }), ...sequenceAndStates })],
      ['Bidirectional LSTMProjection', () => tf.layers.bidirectional({ layer: new LSTMProjection({ units: 5, projectionUnits: 3, ...seeded(14), projectionInitializer: tf.initializers.glorotUniform({ seed: 17 }), ...sequenceAndStates }) })],
    ])('%s: same config, same predictions, no leaks', async (_, makeLayer) => {
      const input = tf.input({ shape: [null, 3] });
      const model = tf.model({ inputs: input, outputs: makeLayer().apply(input) as tf.SymbolicTensor[] });
      const loaded = await roundTrip(model);
      const x = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 5);
      try {
        expect(await savedTopology(loaded)).toEqual(await savedTopology(model));
        expect(loaded.weights.map((weight) => [weight.originalName, weight.shape])).toEqual(
          model.weights.map((weight) => [weight.originalName, weight.shape]),
        );
        expect(predictions(loaded, x)).toEqual(predictions(model, x));
        expectNoLeak(() => tf.dispose(loaded.predict(x)));
      } finally {
        tf.dispose(x);
        disposeModels([model, loaded]);
      }
    });
  });
});
