import { ModelSpecError, checkModelSpec } from '../../src';

/** One thing wrong at a time; each message names the layer and field, the expected and the actual value. */
const GOOD = {
  batch_first: true,
  layers: [
    { type: 'Embedding', name: 'embedding' },
    { type: 'GRU', name: 'gru', dropout: 0.2 },
    { type: 'FinalHidden' },
    { type: 'Dropout', p: 0.3 },
    { type: 'Linear', name: 'fc' },
  ],
};

function withLayer(index: number, entry: unknown): unknown {
  return { ...GOOD, layers: GOOD.layers.map((layer, i) => (i === index ? entry : layer)) };
}

describe('checkModelSpec', () => {
  it('fills in the defaults and says what goes in and out', () => {
    const checked = checkModelSpec({ layers: [{ type: 'RNN', name: 'rnn' }, { type: 'Last' }, { type: 'LayerNorm', name: 'norm' }, { type: 'Linear', name: 'fc' }, { type: 'Dropout' }] });
    expect(checked.batchFirst).toBe(false);
    expect(checked.inputKind).toBe('sequence');
    expect(checked.outputKind).toBe('vector');
    expect(checked.layers.map((layer) => layer.options)).toEqual([{ dropout: 0, nonlinearity: 'tanh' }, {}, { eps: 1e-5 }, {}, { p: 0.5 }]);
    expect(checked.layers[0].label).toBe("layers[0] (RNN 'rnn')");
    const good = checkModelSpec(GOOD);
    expect([good.inputKind, good.outputKind]).toEqual(['ids', 'vector']);
  });

  const CASES: [string, unknown, RegExp][] = [
    ['not an object', [], /^spec: expected an object \{"batch_first", "layers"\}, got an array$/],
    ['an unknown top-level key', { ...GOOD, hidden_size: 7 }, /^spec: expected only the keys batch_first, layers, got 'hidden_size'$/],
    ['batch_first a string', { ...GOOD, batch_first: 'yes' }, /^batch_first: expected a boolean, got 'yes'$/],
    ['no layers', { layers: [] }, /^layers: expected a non-empty list of layers, got an array$/],
    ['an unknown type', withLayer(3, { type: 'Conv1d', name: 'conv' }), /^layers\[3\]\.type: expected one of Embedding, RNN, LSTM, GRU, .*Max, got 'Conv1d'$/],
    ['a layer that is not an object', withLayer(3, 'Dropout'), /^layers\[3\]: expected an object \{"type", …\}, got 'Dropout'$/],
    ['a Linear without a name', withLayer(4, { type: 'Linear' }), /^layers\[4\]\.name: expected the Linear module's prefix in the state_dict \(e\.g\. 'fc' for fc\.weight\), got undefined \(undefined\)$/],
    ['a name with a trailing dot', withLayer(4, { type: 'Linear', name: 'fc.' }), /^layers\[4\]\.name: expected the Linear module's prefix .*, got 'fc\.'$/],
    ['a size the weights tell', withLayer(1, { type: 'GRU', name: 'gru', hidden_size: 7 }), /^layers\[1\]\.hidden_size: expected only the fields type, name, dropout for GRU, got 7 \(number\)$/],
    ['nonlinearity on a GRU', withLayer(1, { type: 'GRU', name: 'gru', nonlinearity: 'relu' }), /^layers\[1\]\.nonlinearity: expected only the fields type, name, dropout for GRU, got 'relu'$/],
    ['an RNN nonlinearity PyTorch lacks', withLayer(1, { type: 'RNN', name: 'gru', nonlinearity: 'sigmoid' }), /^layers\[1\]\.nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'$/],
    ['dropout above 1', withLayer(1, { type: 'GRU', name: 'gru', dropout: 7 }), /^layers\[1\]\.dropout: expected a number in \[0, 1\], got 7 \(number\)$/],
    ['p as a string', withLayer(3, { type: 'Dropout', p: '0.3' }), /^layers\[3\]\.p: expected a number in \[0, 1\], got '0\.3'$/],
    ['a field on ReLU', withLayer(3, { type: 'ReLU', inplace: true }), /^layers\[3\]\.inplace: expected no field besides type for ReLU, got true \(boolean\)$/],
    ['Softmax without dim', withLayer(3, { type: 'Softmax' }), /^layers\[3\]\.dim: expected an integer \(the feature axis: -1\) \(Softmax needs it\), got nothing$/],
    ['LayerNorm eps 0', { layers: [{ type: 'LayerNorm', name: 'norm', eps: 0 }] }, /^layers\[0\]\.eps: expected a positive number, got 0 \(number\)$/],
    ['GELU approximate unknown', withLayer(3, { type: 'GELU', approximate: 'erf' }), /^layers\[3\]\.approximate: expected 'none' or 'tanh', got 'erf'$/],
    ['an Embedding after the first layer', withLayer(3, { type: 'Embedding', name: 'embedding' }), /^layers\[3\]\.type: expected a layer taking one vector per sequence \(what layers\[2\] \(FinalHidden\) gives\), not 'Embedding' \(takes token ids\), got 'Embedding'$/],
    ['a GRU after a selection', withLayer(3, { type: 'GRU', name: 'gru' }), /^layers\[3\]\.type: expected a layer taking one vector per sequence .*, not 'GRU' \(takes a sequence\), got 'GRU'$/],
    ['two selections', withLayer(3, { type: 'Mean' }), /^layers\[3\]\.type: expected a layer taking one vector per sequence .*, not 'Mean'/],
    ['FinalHidden not after a recurrent layer', { layers: [{ type: 'GRU', name: 'gru' }, { type: 'Linear', name: 'fc' }, { type: 'FinalHidden' }] }, /^layers\[2\]\.type: expected 'FinalHidden' right after an RNN, LSTM or GRU, got after layers\[1\] \(Linear 'fc'\)$/],
    ['FinalHidden first', { layers: [{ type: 'FinalHidden' }] }, /^layers\[0\]\.type: expected 'FinalHidden' right after an RNN, LSTM or GRU, got the first layer$/],
    ['a selection of token ids', { layers: [{ type: 'Embedding', name: 'e' }, { type: 'Last' }, { type: 'Last' }] }, /^layers\[2\]\.type: expected a layer taking one vector per sequence/],
  ];
  it.each(CASES)('refuses %s', (_title, spec, message) => {
    let caught: unknown;
    try {
      checkModelSpec(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ModelSpecError);
    expect((caught as Error).message).toMatch(message);
  });
});
