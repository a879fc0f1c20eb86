import { FormatError } from '../../src/errors';
import { hostArray, inferConfig, parseStateDictJson, serializeStateDictJson } from '../../src/formats';

// PyTorch 1.13: torch.manual_seed(0); rnn = torch.nn.RNN(input_size=2, hidden_size=2)
//   json.dumps({k: v.tolist() for k, v in rnn.state_dict().items()})
const TORCH_JSON =
  '{"weight_ih_l0": [[-0.005293981172144413, 0.37932288646698], [-0.5819807648658752, -0.5203874707221985]], ' +
  '"weight_hh_l0": [[-0.27234524488449097, 0.1896158903837204], [-0.014010033570230007, 0.5606575012207031]], ' +
  '"bias_ih_l0": [-0.06275151669979095, 0.1871093362569809], "bias_hh_l0": [-0.2136969119310379, -0.13899271190166473]}';

describe('parseStateDictJson', () => {
  it("reads PyTorch's tolist() output", () => {
    const tensors = parseStateDictJson(TORCH_JSON);
    expect(Object.keys(tensors)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
    expect(tensors.weight_ih_l0).toEqual(
      hostArray([2, 2], Float32Array.of(-0.005293981172144413, 0.37932288646698, -0.5819807648658752, -0.5203874707221985)),
    );
    expect(tensors.bias_hh_l0).toEqual(hostArray([2], Float32Array.of(-0.2136969119310379, -0.13899271190166473)));
    expect(inferConfig(tensors)).toEqual({ mode: 'RNN', inputSize: 2, hiddenSize: 2, numLayers: 1, bidirectional: false, bias: true, projSize: 0 });
  });

  it('reads the {"shape", "data"} object form, scalars and empty lists', () => {
    const text = JSON.stringify({ w: { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, step: 3, none: [], rows: [[], []] });
    expect(parseStateDictJson(text)).toEqual({
      w: hostArray([2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)),
      step: hostArray([], Float32Array.of(3)),
      none: hostArray([0], new Float32Array(0)),
      rows: hostArray([2, 0], new Float32Array(0)),
    });
  });

  it('keeps a key named __proto__ as a tensor', () => {
    const tensors = parseStateDictJson('{"__proto__": [1]}');
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
  });
});

describe('serializeStateDictJson', () => {
  const tensors = {
    weight_ih_l0: hostArray([2, 3], Float32Array.of(0.1, -0.2, 0.3, 1e-30, -3e38, 7)),
    bias_ih_l0: hostArray([2], Float32Array.of(0.5, -1)),
    step: hostArray([], Float32Array.of(3)),
  };

  it('writes nested lists, as tolist() does', () => {
    const json = JSON.parse(serializeStateDictJson(tensors));
    expect(json.bias_ih_l0).toEqual([0.5, -1]);
    expect(json.step).toBe(3);
    expect(json.weight_ih_l0).toHaveLength(2);
    expect(json.weight_ih_l0[1]).toEqual([Math.fround(1e-30), Math.fround(-3e38), 7]);
  });

  it('round-trips through parseStateDictJson exactly, in key order', () => {
    const parsed = parseStateDictJson(serializeStateDictJson(tensors));
    expect(parsed).toEqual(tensors);
    expect(Object.keys(parsed)).toEqual(Object.keys(tensors));
  });

  it('rejects values JSON cannot hold, naming the position', () => {
    const call = () => serializeStateDictJson({ w: hostArray([2, 2], Float32Array.of(1, 2, NaN, 4)) });
    expect(call).toThrow(FormatError);
    expect(call).toThrow(/^w\[1\]\[0\]: expected finite values \(JSON has no NaN or Infinity\), got NaN$/);
    const cube = hostArray([2, 3, 4], new Float32Array(24).fill(1, 0, 23).fill(-Infinity, 23));
    expect(() => serializeStateDictJson({ cube })).toThrow(/^cube\[1\]\[2\]\[3\]: expected finite values .*, got -Infinity$/);
    expect(() => serializeStateDictJson({ step: hostArray([], Float32Array.of(Infinity)) })).toThrow(/^step: expected finite values .*, got Infinity$/);
  });
});

describe('parseStateDictJson errors', () => {
  const parse = (value: unknown) => () => parseStateDictJson(typeof value === 'string' ? value : JSON.stringify(value), 'model.json');

  it.each<[string, unknown, RegExp]>([
    ["Python's NaN", '{"w": [NaN]}', /expected JSON \(NaN and Infinity are not JSON\), got invalid JSON \(/],
    ['a top level that is not an object', [[1, 2]], /expected a JSON object mapping parameter names to values, got a list of length 1$/],
    ['a ragged row', { w: [[1, 2, 3], [4, 5]] }, /expected w\[1\] to be a list of length 3 like w\[0\], got a list of length 2$/],
    ['a ragged inner row', { w: [[[1], [2]], [[3], [4, 5]]] }, /expected w\[1\]\[1\] to be a list of length 1 like w\[0\]\[0\], got a list of length 2$/],
    ['a number where a list belongs', { w: [[1, 2], 3] }, /expected w\[1\] to be a list of length 2 like w\[0\], got 3$/],
    ['a list where a number belongs', { w: [1, [2]] }, /expected a finite float32 number at w\[1\], got a list of length 1$/],
    ['a string', { b: [0, '1'] }, /expected a finite float32 number at b\[1\], got "1"$/],
    ['null', { w: [[1, null]] }, /expected a finite float32 number at w\[0\]\[1\], got null$/],
    ['an overflowing number', '{"w": [1e999]}', /expected a finite float32 number at w\[0\], got Infinity$/],
    ['a number beyond float32', '{"w": [[0], [1e39]]}', /expected a finite float32 number at w\[1\]\[0\], got 1e\+39 \(not representable in float32\)$/],
    ['a non-finite scalar', '{"step": -1e999}', /expected a finite float32 number at step, got -Infinity$/],
    ['a value of another kind', { w: 'weights' }, /expected w to be a nested list of numbers or \{"shape": \[\.\.\], "data": \[\.\.\]\}, got "weights"$/],
    ['an object without data', { w: { shape: [2] } }, /expected w to be a nested list/],
    ['a bad shape in the object form', { w: { shape: [2, -1], data: [] } }, /expected w\.shape to be a list of non-negative integers, got \[2,-1\]$/],
    ['too little data in the object form', { w: { shape: [2, 2], data: [1, 2, 3] } }, /expected w\.data to be a flat list of 4 numbers \(shape \[2, 2\]\), got a list of length 3$/],
    ['a non-number in the object form', { w: { shape: [2], data: [1, false] } }, /expected a finite float32 number at w\.data\[1\], got false$/],
  ])('rejects %s', (_, value, message) => {
    expect(parse(value)).toThrow(FormatError);
    expect(parse(value)).toThrow(/^model\.json: /);
    expect(parse(value)).toThrow(message);
  });

  it("names the source 'json' by default", () => {
    expect(() => parseStateDictJson('[]')).toThrow(/^json: expected a JSON object/);
  });
});

describe('metadata', () => {
  test('a top-level __metadata__ (as `tfjs-rnn convert --to json` writes) is not a tensor', () => {
    const text = JSON.stringify({ __metadata__: { 'nn.RNN': '{"input_size": 1}' }, bias_ih_l0: [1, 2] });
    const tensors = parseStateDictJson(text, 'rnn.json');
    expect(Object.keys(tensors)).toEqual(['bias_ih_l0']);
    expect(Array.from(tensors.bias_ih_l0.data)).toEqual([1, 2]);
  });
});
