import { RNNConfig, checkConfig, parameterSpecs } from '../../src/config';
import { WeightsError } from '../../src/errors';
import { HostArray, checkStateDict, hostArray, inferConfig, shapeSize } from '../../src/formats';

/** A state_dict with every parameter `config` has, each holding `0, 0.1, 0.2, …`. */
function stateDictFor(config: RNNConfig): Record<string, HostArray> {
  return Object.fromEntries(
    parameterSpecs(checkConfig(config)).map(({ name, shape }) => [
      name,
      hostArray(shape, Float32Array.from({ length: shapeSize(shape) }, (_, i) => i / 10)),
    ]),
  );
}

/** The one WeightsError `check` throws. */
function weightsError(check: () => unknown): WeightsError {
  try {
    check();
  } catch (error) {
    if (error instanceof WeightsError) return error;
    throw error;
  }
  throw new Error('expected a WeightsError');
}

const CONFIGS = (['RNN', 'LSTM', 'GRU'] as const).flatMap((mode) =>
  [1, 2].flatMap((numLayers) =>
    [false, true].flatMap((bidirectional) =>
      [true, false].map((bias) => ({ mode, inputSize: 3, hiddenSize: 4, numLayers, bidirectional, bias, projSize: 0 })),
    ),
  ),
);
const PROJECTED = { mode: 'LSTM', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, bias: true, projSize: 2 } as const;

describe('inferConfig', () => {
  it.each([...CONFIGS, PROJECTED])('reads %o back from its state_dict', (config) => {
    expect(inferConfig(stateDictFor(config))).toEqual(config);
  });

  it("reads PyTorch's own keys and shapes of an LSTM with proj_size and of a GRU", () => {
    // PyTorch 1.13: torch.nn.LSTM(3, 5, proj_size=2).state_dict() and torch.nn.GRU(3, 5, bias=False).state_dict()
    const lstm: [string, number[]][] = [['weight_ih_l0', [20, 3]], ['weight_hh_l0', [20, 2]], ['bias_ih_l0', [20]], ['bias_hh_l0', [20]], ['weight_hr_l0', [2, 5]]];
    const gru: [string, number[]][] = [['weight_ih_l0', [15, 3]], ['weight_hh_l0', [15, 5]]];
    const tensorsOf = (shapes: [string, number[]][]) =>
      Object.fromEntries(shapes.map(([name, shape]) => [name, hostArray(shape, new Float32Array(shapeSize(shape)))]));
    expect(inferConfig(tensorsOf(lstm))).toEqual({ mode: 'LSTM', inputSize: 3, hiddenSize: 5, numLayers: 1, bidirectional: false, bias: true, projSize: 2 });
    expect(inferConfig(tensorsOf(gru))).toEqual({ mode: 'GRU', inputSize: 3, hiddenSize: 5, numLayers: 1, bidirectional: false, bias: false, projSize: 0 });
  });

  it('needs weight_hh_l0 to be [G·H, H] with G = 1, 4 or 3', () => {
    const tensors = { ...stateDictFor({ inputSize: 3, hiddenSize: 4 }), weight_hh_l0: hostArray([8, 4], new Float32Array(32)) };
    expect(() => inferConfig(tensors)).toThrow(
      /^weights: weight_hh_l0: expected \[G·hidden_size, hidden_size\] with G = 1 \(RNN\), 4 \(LSTM\) or 3 \(GRU\), got \[8, 4\]$/,
    );
  });

  it("reads PyTorch's own keys and shapes", () => {
    // PyTorch 1.13: rnn = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True, bias=False)
    //   [(k, list(v.shape)) for k, v in rnn.state_dict().items()]
    const torchShapes: [string, number[]][] = [
      ['weight_ih_l0', [4, 3]], ['weight_hh_l0', [4, 4]], ['weight_ih_l0_reverse', [4, 3]], ['weight_hh_l0_reverse', [4, 4]],
      ['weight_ih_l1', [4, 8]], ['weight_hh_l1', [4, 4]], ['weight_ih_l1_reverse', [4, 8]], ['weight_hh_l1_reverse', [4, 4]],
    ];
    const tensors = Object.fromEntries(torchShapes.map(([name, shape]) => [name, hostArray(shape, new Float32Array(shapeSize(shape)))]));
    expect(inferConfig(tensors)).toEqual({ mode: 'RNN', inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, bias: false, projSize: 0 });
  });

  it('needs weight_ih_l0', () => {
    const { weight_ih_l0: _, ...rest } = stateDictFor({ inputSize: 3, hiddenSize: 4 });
    expect(weightsError(() => inferConfig(rest)).problems).toEqual(["missing key 'weight_ih_l0'"]);
    expect(() => inferConfig({})).toThrow(/^weights: missing key 'weight_ih_l0'$/);
  });

  it('needs weight_ih_l0 to be [H, I] with positive sizes', () => {
    const flat = { ...stateDictFor({ inputSize: 3, hiddenSize: 4 }), weight_ih_l0: hostArray([12], new Float32Array(12)) };
    expect(() => inferConfig(flat)).toThrow(/^weights: weight_ih_l0: expected shape \[gates·hidden_size, input_size\] of positive sizes, got \[12\]$/);
    expect(() => inferConfig({ weight_ih_l0: hostArray([0, 3], new Float32Array(0)) })).toThrow(WeightsError);
  });

  it('lists every key that does not fit what it read', () => {
    const tensors = stateDictFor({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    delete tensors.bias_hh_l1;
    tensors.weight_hh_l1 = hostArray([4, 5], new Float32Array(20));
    expect(weightsError(() => inferConfig(tensors)).problems).toEqual([
      'weight_hh_l1: expected shape [4, 4], got [4, 5]',
      "missing key 'bias_hh_l1'",
    ]);
  });
});

describe('checkStateDict', () => {
  it.each(CONFIGS)('accepts the state_dict of %o', (config) => {
    expect(() => checkStateDict(stateDictFor(config), checkConfig(config))).not.toThrow();
  });

  it('names a missing, an unexpected and a misshaped key in one WeightsError', () => {
    const config = checkConfig({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
    const tensors = stateDictFor(config);
    delete tensors.bias_hh_l1;
    tensors.weight_ih_l2 = hostArray([4, 4], new Float32Array(16));
    tensors.weight_hh_l0 = hostArray([4, 5], new Float32Array(20));
    const error = weightsError(() => checkStateDict(tensors, config));
    expect(error.problems).toEqual([
      'weight_hh_l0: expected shape [4, 4], got [4, 5]',
      "missing key 'bias_hh_l1'",
      "unexpected key 'weight_ih_l2'",
    ]);
    expect(error.message).toMatch(/missing key 'bias_hh_l1'/);
    expect(error.message).toMatch(/unexpected key 'weight_ih_l2'/);
    expect(error.message).toMatch(/weight_hh_l0: expected shape \[4, 4\], got \[4, 5\]/);
  });

  it('lists the biases of a state_dict with bias against a config without', () => {
    const tensors = stateDictFor({ inputSize: 3, hiddenSize: 4, bidirectional: true });
    const problems = weightsError(() => checkStateDict(tensors, checkConfig({ inputSize: 3, hiddenSize: 4, bidirectional: true, bias: false }))).problems;
    expect(problems).toEqual([
      "unexpected key 'bias_ih_l0'",
      "unexpected key 'bias_hh_l0'",
      "unexpected key 'bias_ih_l0_reverse'",
      "unexpected key 'bias_hh_l0_reverse'",
    ]);
  });

  it('checks the input width of layers above the first against D·H', () => {
    const config = checkConfig({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const tensors = { ...stateDictFor(config), weight_ih_l1_reverse: hostArray([4, 4], new Float32Array(16)) };
    expect(() => checkStateDict(tensors, config)).toThrow(/^weights: weight_ih_l1_reverse: expected shape \[4, 8\], got \[4, 4\]$/);
  });

  it('names data whose length does not match its shape', () => {
    const config = checkConfig({ inputSize: 3, hiddenSize: 4 });
    const tensors = { ...stateDictFor(config), bias_ih_l0: { shape: [4], data: new Float32Array(3) } };
    expect(() => checkStateDict(tensors, config)).toThrow(/^bias_ih_l0: expected 4 values for shape \[4\], got 3$/);
  });
});
