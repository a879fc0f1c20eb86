import { ConfigError, checkConfig, fromTorchArgs, parameterSpecs, toTorchArgs } from '../../src';
import { configOf, loadDenseFixtures } from '../helpers/fixtures';

describe('checkConfig', () => {
  test('fills in PyTorch defaults', () => {
    expect(checkConfig({ inputSize: 3, hiddenSize: 4 })).toEqual({
      mode: 'RNN',
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 1,
      nonlinearity: 'tanh',
      bias: true,
      batchFirst: false,
      dropout: 0,
      bidirectional: false,
      projSize: 0,
    });
  });

  const base = { inputSize: 3, hiddenSize: 4 };
  test.each([
    [{ inputSize: 0 }, /^inputSize: expected a positive integer, got 0$/],
    [{ inputSize: 2.5 }, /^inputSize: expected a positive integer, got 2\.5$/],
    [{ hiddenSize: -7 }, /^hiddenSize: expected a positive integer, got -7$/],
    [{ hiddenSize: '4' }, /^hiddenSize: expected a positive integer, got '4'$/],
    [{ numLayers: 0 }, /^numLayers: expected a positive integer, got 0$/],
    [{ nonlinearity: 'sigmoid' }, /^nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'$/],
    [{ dropout: -0.1 }, /^dropout: expected a number in \[0, 1\], got -0\.1$/],
    [{ dropout: 1.5 }, /^dropout: expected a number in \[0, 1\], got 1\.5$/],
    [{ dropout: NaN }, /^dropout: expected a number in \[0, 1\], got NaN$/],
    [{ bias: 'yes' }, /^bias: expected a boolean, got 'yes'$/],
    [{ batchFirst: 1 }, /^batchFirst: expected a boolean, got 1$/],
    [{ bidirectional: null }, /^bidirectional: expected a boolean, got null$/],
    [{ hidden_size: 4 }, /^config: expected only the keys .*, got 'hidden_size'$/],
    [{ mode: 'SRU' }, /^mode: expected 'RNN', 'LSTM', 'GRU', got 'SRU'$/],
    [{ projSize: 2 }, /^projSize: expected 0 for RNN \(only an LSTM projects its state\), got 2$/],
    [{ mode: 'GRU', projSize: 2 }, /^projSize: expected 0 for GRU \(only an LSTM projects its state\), got 2$/],
    [{ mode: 'LSTM', projSize: 4 }, /^projSize: expected an integer smaller than hiddenSize 4, got 4$/],
    [{ mode: 'LSTM', projSize: -1 }, /^projSize: expected a non-negative integer \(0: no projection\), got -1$/],
    [{ mode: 'LSTM', projSize: 1.5 }, /^projSize: expected a non-negative integer \(0: no projection\), got 1\.5$/],
    [{ mode: 'GRU', nonlinearity: 'relu' }, /^nonlinearity: expected nothing \(or 'tanh'\) for GRU: only the RNN's activation can be chosen, got 'relu'$/],
  ])('rejects %o', (change, message) => {
    const config = { ...base, ...change } as never;
    expect(() => checkConfig(config)).toThrow(ConfigError);
    expect(() => checkConfig(config)).toThrow(message);
  });

  test('accepts dropout at both ends of [0, 1]', () => {
    expect(checkConfig({ ...base, numLayers: 2, dropout: 1 }).dropout).toBe(1);
    expect(checkConfig({ ...base, dropout: 0 }).dropout).toBe(0);
  });
});

describe('PyTorch keyword arguments', () => {
  test('fromTorchArgs maps every nn.RNN argument', () => {
    expect(
      fromTorchArgs({
        input_size: 3,
        hidden_size: 4,
        num_layers: 2,
        nonlinearity: 'relu',
        bias: false,
        batch_first: true,
        dropout: 0.5,
        bidirectional: true,
      }),
    ).toEqual({
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 2,
      nonlinearity: 'relu',
      bias: false,
      batchFirst: true,
      dropout: 0.5,
      bidirectional: true,
    });
  });

  test('fromTorchArgs rejects what RNNBase does not take', () => {
    expect(() => fromTorchArgs({ input_size: 3, hidden_size: 4, batch_size: 2 } as never)).toThrow(
      /^args: expected only the arguments mode, input_size, .*, proj_size, got 'batch_size'$/,
    );
  });

  test.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('fromTorchArgs reads own keys only: %s is not an argument', (key) => {
    // JSON.parse makes `__proto__` an own key, as a config file would.
    const args = JSON.parse(`{"input_size": 3, "hidden_size": 4, "${key}": 1}`);
    expect(() => fromTorchArgs(args)).toThrow(ConfigError);
    expect(() => fromTorchArgs(args)).toThrow(new RegExp(`^args: expected only the arguments mode, input_size, .*, proj_size, got '${key}'$`));
  });

  test.each([
    [{ mode: 'RNN_RELU' }, { mode: 'RNN', nonlinearity: 'relu' }],
    [{ mode: 'RNN_TANH' }, { mode: 'RNN', nonlinearity: 'tanh' }],
    [{ mode: 'LSTM', proj_size: 2 }, { mode: 'LSTM', projSize: 2 }],
    [{ mode: 'GRU' }, { mode: 'GRU' }],
  ] as const)("fromTorchArgs takes RNNBase's mode %o", (args, expected) => {
    expect(fromTorchArgs({ input_size: 3, hidden_size: 4, ...args })).toEqual({ inputSize: 3, hiddenSize: 4, ...expected });
  });

  test.each([
    [{ mode: 'RNN_TANH', nonlinearity: 'relu' }, /^nonlinearity: expected 'tanh' \(mode 'RNN_TANH'\), got 'relu'$/],
    [{ mode: 'RNN' }, /^mode: expected 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU', got 'RNN'$/],
    [{ mode: 'constructor' }, /^mode: expected 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU', got 'constructor'$/],
  ] as const)('fromTorchArgs rejects %o', (args, message) => {
    expect(() => fromTorchArgs({ input_size: 3, hidden_size: 4, ...args } as never)).toThrow(ConfigError);
    expect(() => fromTorchArgs({ input_size: 3, hidden_size: 4, ...args } as never)).toThrow(message);
  });

  test.each([
    [{ mode: 'LSTM', inputSize: 3, hiddenSize: 4, projSize: 2 }, { mode: 'LSTM', proj_size: 2 }],
    [{ mode: 'GRU', inputSize: 3, hiddenSize: 4 }, { mode: 'GRU' }],
  ] as const)('toTorchArgs gives RNNBase arguments with mode for %o, and round-trips', (config, extra) => {
    const args = toTorchArgs(config);
    expect(args).toEqual({ input_size: 3, hidden_size: 4, num_layers: 1, bias: true, batch_first: false, dropout: 0, bidirectional: false, ...extra });
    expect(checkConfig(fromTorchArgs(args))).toEqual(checkConfig(config));
  });

  test('toTorchArgs round-trips', () => {
    const args = toTorchArgs({ inputSize: 3, hiddenSize: 4, bidirectional: true });
    expect(args).toEqual({
      input_size: 3,
      hidden_size: 4,
      num_layers: 1,
      nonlinearity: 'tanh',
      bias: true,
      batch_first: false,
      dropout: 0,
      bidirectional: true,
    });
    expect(checkConfig(fromTorchArgs(args))).toEqual(checkConfig({ inputSize: 3, hiddenSize: 4, bidirectional: true }));
  });
});

describe('parameterSpecs', () => {
  test.each(loadDenseFixtures().map((fixture) => [fixture.name, fixture] as const))(
    '%s: names, order and shapes are PyTorch state_dict()',
    (_, fixture) => {
      const specs = parameterSpecs(checkConfig(configOf(fixture)));
      expect(specs.map(({ name, shape }) => [name, shape])).toEqual(
        Object.entries(fixture.state_dict).map(([name, stored]) => [name, stored.shape]),
      );
    },
  );
});
