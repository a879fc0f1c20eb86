import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  ConfigError,
  FORWARD_TOLERANCE,
  GRUResetAfter,
  GRUResetAfterCell,
  LSTMProjection,
  LSTMProjectionCell,
} from '../../src';
import { validStepMask, zeroPaddedSteps } from '../../src/shapes';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { CellFixture, loadCellFixtures } from '../helpers/cellFixtures';
import { expectClose } from '../helpers/expectClose';
import { tensorOf } from '../helpers/fixtures';

const fixtures = loadCellFixtures();

/** Each cell's weights in `getWeights` order; Bidirectional puts the forward direction's first. */
const WEIGHT_ORDER = ['kernel', 'recurrent_kernel', 'bias', 'projection_kernel'];

/** `tf.layers.rnn({cell})`, or the cell's own RNN layer (the form `tf.layers.bidirectional` takes). */
type Form = 'rnn({cell})' | 'layer';

function isBidirectional(fixture: CellFixture): boolean {
  return fixture.config.bidirectional === true;
}

function formsOf(fixture: CellFixture): Form[] {
  return isBidirectional(fixture) ? ['layer'] : ['rnn({cell})', 'layer'];
}

/** The fixture's module as tf.layers: returning the sequence and the final states, not built. */
function recurrentLayer(fixture: CellFixture, form: Form): tf.layers.Layer {
  const units = fixture.config.hidden_size;
  const useBias = fixture.config.bias !== false;
  const sequenceAndStates = { returnSequences: true, returnState: true };
  let layer: tf.layers.Layer;
  if (fixture.module === 'GRU') {
    layer = form === 'layer'
      ? new GRUResetAfter({ units, useBias, ...sequenceAndStates })
      : tf.layers.rnn({ cell: new GRUResetAfterCell({ units, useBias }), ...sequenceAndStates });
  } else {
    const projectionUnits = fixture.config.proj_size as number;
    layer = form === 'layer'
      ? new LSTMProjection({ units, projectionUnits, useBias, ...sequenceAndStates })
      : tf.layers.rnn({ cell: new LSTMProjectionCell({ units, projectionUnits, useBias }), ...sequenceAndStates });
  }
  return isBidirectional(fixture) ? tf.layers.bidirectional({ layer: layer as tf.RNN, mergeMode: 'concat' }) : layer;
}

/** `recurrentLayer`, built, holding the fixture's weights. */
function layerWithWeights(fixture: CellFixture, form: Form): tf.layers.Layer {
  const layer = recurrentLayer(fixture, form);
  layer.build([null, null, fixture.config.input_size]);
  layer.built = true;
  const weights = fixture.keras.flatMap((direction) =>
    WEIGHT_ORDER.filter((name) => name in direction).map((name) => tensorOf(direction[name])),
  );
  layer.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

/** Keras's initial states: `[h, c]` per direction (`[h]` for GRU), forward first. */
function initialStates(fixture: CellFixture): tf.Tensor[] | undefined {
  if (fixture.h0 === null) return undefined;
  const h0 = tf.unstack(tensorOf(fixture.h0));
  const c0 = fixture.c0 === null ? undefined : tf.unstack(tensorOf(fixture.c0));
  return h0.flatMap((h, direction) => (c0 === undefined ? [h] : [h, c0[direction]]));
}

/**
 * Runs `layer` on the fixture as PyTorch ran: h0 (and c0), a mask from `lengths`, padded steps of the
 * output zeroed as `pad_packed_sequence` does. Returns `[output, h_n, c_n?]` in PyTorch's shapes.
 */
function run(layer: tf.layers.Layer, fixture: CellFixture): tf.Tensor[] {
  return tf.tidy(() => {
    const input = tensorOf(fixture.input) as tf.Tensor3D;
    const lengths = fixture.lengths === null ? undefined : Int32Array.from(fixture.lengths);
    const mask = lengths && validStepMask(lengths, input.shape[1], false);
    const [output, ...states] = layer.apply(input, { initialState: initialStates(fixture), mask }) as tf.Tensor[];
    const statesPerDirection = fixture.module === 'LSTM' ? 2 : 1;
    const stacked = Array.from({ length: statesPerDirection }, (_, kind) =>
      tf.stack(states.filter((__, index) => index % statesPerDirection === kind)),
    );
    return [lengths === undefined ? output : zeroPaddedSteps(output as tf.Tensor3D, lengths, false), ...stacked];
  });
}

function disposeLayer(layer: tf.layers.Layer): void {
  layer.weights.forEach((weight) => weight.dispose());
}

describeEachBackend(() => {
  describe.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_, fixture) => {
    test.each(formsOf(fixture))('%s matches PyTorch: output, h_n (and c_n), without leaks', (form) => {
      const layer = layerWithWeights(fixture, form);
      try {
        const actual = run(layer, fixture);
        const expected = [fixture.output, fixture.h_n, fixture.c_n].filter((stored) => stored !== null).map((stored) => tensorOf(stored!));
        try {
          expect(actual).toHaveLength(expected.length);
          ['output', 'h_n', 'c_n'].slice(0, expected.length).forEach((label, index) =>
            expectClose(actual[index], expected[index], FORWARD_TOLERANCE, `${fixture.name} ${label}`),
          );
        } finally {
          tf.dispose([...actual, ...expected]);
        }
        expectNoLeak(() => tf.dispose(run(layer, fixture)));
      } finally {
        disposeLayer(layer);
      }
    });
  });
});

describe('weights', () => {
  test('carry Keras names and shapes: GRU kernel [in, 3H], recurrent_kernel [H, 3H], bias [2, 3H]', () => {
    const layer = new GRUResetAfter({ units: 4, name: 'gru' });
    layer.build([null, null, 3]);
    expect(layer.weights.map((weight) => [weight.originalName, weight.shape])).toEqual([
      ['kernel', [3, 12]],
      ['recurrent_kernel', [4, 12]],
      ['bias', [2, 12]],
    ]);
    disposeLayer(layer);
  });

  test('LSTM projection: kernel [in, 4H], recurrent_kernel [P, 4H], bias [4H], projection_kernel [H, P]; states [P, H]', () => {
    const cell = new LSTMProjectionCell({ units: 5, projectionUnits: 2 });
    cell.build([null, 3]);
    expect(cell.weights.map((weight) => [weight.originalName, weight.shape])).toEqual([
      ['kernel', [3, 20]],
      ['recurrent_kernel', [2, 20]],
      ['bias', [20]],
      ['projection_kernel', [5, 2]],
    ]);
    expect(cell.stateSize).toEqual([2, 5]);
    cell.weights.forEach((weight) => weight.dispose());
  });

  test('recurrentActivation defaults to sigmoid, as Keras 2 and PyTorch (tfjs cells default to hardSigmoid)', () => {
    expect(new GRUResetAfterCell({ units: 2 }).getConfig().recurrentActivation).toBe('sigmoid');
    expect(new LSTMProjectionCell({ units: 2, projectionUnits: 1 }).getConfig().recurrentActivation).toBe('sigmoid');
  });
});

describe('options errors', () => {
  test.each([
    ['units 0', () => new GRUResetAfterCell({ units: 0 }), /^units: expected a positive integer, got 0$/],
    ['units 7.5', () => new LSTMProjectionCell({ units: 7.5, projectionUnits: 2 }), /^units: expected a positive integer, got 7.5$/],
    ['projectionUnits 0', () => new LSTMProjectionCell({ units: 7, projectionUnits: 0 }), /^projectionUnits: expected a positive integer, got 0$/],
    ['projectionUnits = units', () => new LSTMProjectionCell({ units: 7, projectionUnits: 7 }), /^projectionUnits: expected smaller than units \(7\), as PyTorch's proj_size, got 7$/],
    ['GRU dropout', () => new GRUResetAfterCell({ units: 7, dropout: 0.5 }), /^dropout: expected 0 \(GRUResetAfterCell has no dropout inside the step\), got 0.5$/],
    ['GRU layer recurrentDropout', () => new GRUResetAfter({ units: 7, recurrentDropout: 0.25 }), /^recurrentDropout: expected 0 \(GRUResetAfterCell has no dropout inside the step\), got 0.25$/],
    ['LSTM dropout', () => new LSTMProjection({ units: 7, projectionUnits: 2, dropout: 0.1 }), /^dropout: expected 0 \(LSTMProjectionCell has no dropout inside the step\), got 0.1$/],
    ['resetAfter false', () => new GRUResetAfterCell({ units: 7, resetAfter: false }), /^resetAfter: expected true \(GRUResetAfterCell is the reset_after=True GRU\), got false$/],
    ['unitForgetBias', () => new LSTMProjectionCell({ units: 7, projectionUnits: 2, unitForgetBias: true } as never), /^unitForgetBias: expected false/],
  ])('%s', (_, make, message) => {
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(message);
  });

  test('a cell call with the wrong number of tensors names the cell and the count', () => {
    const cell = new GRUResetAfterCell({ units: 2 });
    cell.build([null, 3]);
    const x = tf.zeros([1, 3]);
    expect(() => cell.call([x])).toThrow(ArgumentError);
    expect(() => cell.call([x])).toThrow(/^GRUResetAfterCell inputs: expected 2 tensors \[x_t, \.\.\.states\], got 1 tensors$/);
    tf.dispose(x);
    cell.weights.forEach((weight) => weight.dispose());
  });
});
