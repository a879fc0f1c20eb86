import * as tf from '@tensorflow/tfjs';
import * as tfl from '@tensorflow/tfjs-layers';
import { FORWARD_TOLERANCE, LayersWholeModel, initBackend, ManualWholeModel, ModelSpecError, WholeModelSpec } from '../../src';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';
import { MODEL_FIXTURES, ModelFixture, loadModelFixture, npyTensor } from '../helpers/modelFixtures';

/**
 * Whole models from `fixtures/models` (scripts/make_model_fixtures.py: real PyTorch model
 * classes, eval mode): the hand-written model and its tf.layers twin against PyTorch's output,
 * and against each other.
 */

type WholeModel = ManualWholeModel | LayersWholeModel;
const IMPLEMENTATIONS = [
  ['manual', (fixture: ModelFixture) => new ManualWholeModel(fixture.spec, fixture.stateDict)],
  ['twin', (fixture: ModelFixture) => new LayersWholeModel(fixture.spec, fixture.stateDict)],
] as const;

/** The fixture's own spec, and the encoder's alone for the encoder/decoder. */
const CASES: [string, string, string][] = [
  ...MODEL_FIXTURES.map((name) => [name, 'spec.json', 'output.npy'] as [string, string, string]),
  ['encoder_decoder', 'encoder.spec.json', 'encoder_output.npy'],
];

function predict(model: WholeModel, fixture: ModelFixture): tf.Tensor {
  return tf.tidy(() => model.predict(npyTensor(fixture.inputPath), { lengths: fixture.lengths }));
}

// The checks below run on the cpu backend (the suite may be filtered to them).
beforeAll(async () => {
  await initBackend('cpu');
});

describeEachBackend(() => {
  describe.each(CASES)('%s (%s)', (name, specFile, outputFile) => {
    let fixture: ModelFixture;
    beforeAll(async () => {
      fixture = await loadModelFixture(name, specFile, outputFile);
    });

    it.each(IMPLEMENTATIONS)('%s gives PyTorch output, leak-free', (implementation, build) => {
      const model = build(fixture);
      try {
        const expected = npyTensor(fixture.outputPath);
        const actual = predict(model, fixture);
        expectClose(actual, expected, FORWARD_TOLERANCE, `${name} ${implementation}`);
        tf.dispose([actual, expected]);
        expectNoLeak(() => tf.dispose(predict(model, fixture)));
      } finally {
        model.dispose();
      }
    });

    it('manual and twin agree', () => {
      const manual = new ManualWholeModel(fixture.spec, fixture.stateDict);
      const twin = new LayersWholeModel(fixture.spec, fixture.stateDict);
      try {
        const [a, b] = [predict(manual, fixture), predict(twin, fixture)];
        expectClose(a, b, FORWARD_TOLERANCE, `${name} manual vs twin`);
        tf.dispose([a, b]);
      } finally {
        manual.dispose();
        twin.dispose();
      }
    });
  });
});

describe('lifecycle', () => {
  it('building, calling and disposing leaves no tensor behind; a disposed model throws a typed error', async () => {
    const fixture = await loadModelFixture('encoder_decoder');
    const before = tf.memory().numTensors;
    for (const [, build] of IMPLEMENTATIONS) {
      const model = build(fixture);
      tf.dispose(predict(model, fixture));
      model.dispose();
      model.dispose();
      expect(() => predict(model, fixture)).toThrow(/model: expected a (Manual|Layers)WholeModel that was not disposed, got a disposed one/);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('inputs are checked before any work', () => {
  let fixture: ModelFixture;
  let model: ManualWholeModel;
  beforeAll(async () => {
    fixture = await loadModelFixture('gru_classifier');
    model = new ManualWholeModel(fixture.spec, fixture.stateDict);
  });
  afterAll(() => model.dispose());

  const call = (input: tf.Tensor, lengths?: number[]) => () => {
    try {
      tf.dispose(model.predict(input, { lengths }));
    } finally {
      input.dispose();
    }
  };
  it('an id outside [0, V) names its position', () => {
    const ids = npyTensor(fixture.inputPath);
    const values = ids.arraySync() as number[][];
    ids.dispose();
    values[2][4] = 20;
    expect(call(tf.tensor2d(values, undefined, 'int32'), fixture.lengths)).toThrow(/^input\[2, 4\]: expected a token id in \[0, 20\) \(the Embedding's rows\), got 20$/);
    values[2][4] = -1;
    expect(call(tf.tensor2d(values, undefined, 'int32'), fixture.lengths)).toThrow(/^input\[2, 4\]: expected a token id in \[0, 20\).*, got -1$/);
  });
  it('float ids, wrong ranks and lengths are refused', () => {
    expect(call(tf.zeros([5, 7]), fixture.lengths)).toThrow(/^input: expected int32 token ids \(layers\[0\] \(Embedding 'embedding'\) comes first\), got float32$/);
    expect(call(tf.zeros([5, 7, 1], 'int32'))).toThrow(/^input: expected \[batch, seq\] with seq, batch ≥ 1 \(batch_first\), got \[5, 7, 1\]$/);
    expect(call(tf.zeros([5, 7], 'int32'), [7, 3, 5, 1])).toThrow(/^lengths: expected 5 lengths/);
    expect(call(tf.zeros([5, 7], 'int32'), [7, 3, 5, 8, 6])).toThrow(/^lengths\[3\]: expected an integer in \[1, 7\]/);
  });
  it('features of the wrong size are refused', async () => {
    const regressor = await loadModelFixture('rnn_regressor');
    const other = new ManualWholeModel(regressor.spec, regressor.stateDict);
    try {
      expect(() => other.predict(tf.zeros([8, 4, 7]))).toThrow(/^input: expected \[seq, batch, 3\] with seq, batch ≥ 1, got \[8, 4, 7\]$/);
      expect(() => other.predict(tf.zeros([8, 4, 3], 'int32'))).toThrow(/^input: expected float32 features, got int32$/);
    } finally {
      other.dispose();
    }
  });
});

describe('weights are checked against the spec before any tensor is made', () => {
  let fixture: ModelFixture;
  beforeAll(async () => {
    fixture = await loadModelFixture('gru_classifier');
  });
  const build = (spec: WholeModelSpec) => () => new ManualWholeModel(spec, fixture.stateDict).dispose();
  const layers = (...entries: WholeModelSpec['layers']) => ({ batch_first: true, layers: entries });

  it('a name no key starts with lists the modules', () => {
    const before = tf.memory().numTensors;
    expect(build(layers({ type: 'Embedding', name: 'embedding' }, { type: 'GRU', name: 'rnn' }))).toThrow(
      /^layers\[1\]\.name: expected the prefix of a module of the state_dict: 'embedding\.', 'gru\.', 'fc\.', got 'rnn'$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
  it('a recurrent type other than the weights say', () => {
    expect(build(layers({ type: 'Embedding', name: 'embedding' }, { type: 'LSTM', name: 'gru' }))).toThrow(
      /^weights: layers\[1\] \(LSTM 'gru'\): the weights under 'gru\.' are an nn\.GRU's, not an nn\.LSTM's$/,
    );
  });
  it('sizes that do not chain', () => {
    expect(build(layers({ type: 'Embedding', name: 'embedding' }, { type: 'Linear', name: 'fc' }))).toThrow(
      /^weights: layers\[1\] \(Linear 'fc'\): expected inputs of 12 features \(its weights\), got 8 from layers\[0\] \(Embedding 'embedding'\)$/,
    );
  });
  it('a Softmax over another axis than the features', () => {
    const spec = layers({ type: 'Embedding', name: 'embedding' }, { type: 'GRU', name: 'gru' }, { type: 'Softmax', dim: 1 });
    expect(build(spec)).toThrow(/^layers\[2\]\.dim: expected -1 or 2 \(the feature axis of its 3-D input; no other axis is supported\), got 1$/);
  });
  it('a Linear named after a recurrent module', () => {
    expect(build(layers({ type: 'Embedding', name: 'embedding' }, { type: 'Linear', name: 'gru' }))).toThrow(/^weights: layers\[1\] \(Linear 'gru'\): missing key 'gru\.weight'; .*unexpected key 'gru\.weight_ih_l0'/);
  });
});

describe("a twin layer this tfjs-layers cannot build (Keras's gelu before tfjs-layers 4.19)", () => {
  it('is refused with a typed error before any layer is built', async () => {
    await initBackend('cpu');
    const fixture = await loadModelFixture('gru_norm_mlp');
    const before = tf.memory().numTensors;
    // Stands in for an older tfjs-layers, whose activation lookup throws "Unknown activation".
    const activation = jest.spyOn(tfl.layers, 'activation').mockImplementation((args) => {
      if (args.activation === 'gelu' || args.activation === 'gelu_new') throw new Error(`Unknown activation: ${args.activation}`);
      return jest.requireActual('@tensorflow/tfjs-layers').layers.activation(args);
    });
    try {
      expect(() => new LayersWholeModel(fixture.spec, fixture.stateDict)).toThrow(ModelSpecError);
      expect(() => new LayersWholeModel(fixture.spec, fixture.stateDict)).toThrow(/^layers\[\d+\]\.type: expected a layer the tf\.layers twin can build: Keras's 'gelu' activation, in tfjs-layers 4\.19\.0 and later .*got 'GELU' with tfjs-layers 4\.22\.0$/);
    } finally {
      activation.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(before);
    const manual = new ManualWholeModel(fixture.spec, fixture.stateDict);
    manual.dispose();
  });
});
