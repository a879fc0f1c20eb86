import { ArgumentError, PrefixError, WeightsError } from '../../src/errors';
import {
  HostArray,
  describeModule,
  findOtherModules,
  findRecurrentModules,
  hostArray,
  selectModule,
  selectRecurrentModule,
  shapeSize,
  stripWrapperPrefixes,
} from '../../src/formats';

/** A state_dict of these keys and shapes, each tensor holding `0, 1, 2, …`. */
function stateDictOf(shapes: [string, number[]][]): Record<string, HostArray> {
  return Object.fromEntries(shapes.map(([name, shape]) => [name, hostArray(shape, Float32Array.from({ length: shapeSize(shape) }, (_, i) => i))]));
}

/** `shapes` with `prefix` before every key. */
function under(prefix: string, shapes: [string, number[]][]): [string, number[]][] {
  return shapes.map(([name, shape]) => [`${prefix}${name}`, shape]);
}

// PyTorch 1.13:
//   class Model(nn.Module):
//     def __init__(self):
//       super().__init__()
//       self.embedding = nn.Embedding(100, 16); self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True); self.fc = nn.Linear(32, 5)
//   [(k, list(v.shape)) for k, v in Model().state_dict().items()]
const LSTM_2: [string, number[]][] = [
  ['weight_ih_l0', [128, 16]], ['weight_hh_l0', [128, 32]], ['bias_ih_l0', [128]], ['bias_hh_l0', [128]],
  ['weight_ih_l1', [128, 32]], ['weight_hh_l1', [128, 32]], ['bias_ih_l1', [128]], ['bias_hh_l1', [128]],
];
const MODEL: [string, number[]][] = [['embedding.weight', [100, 16]], ...under('lstm.', LSTM_2), ['fc.weight', [5, 32]], ['fc.bias', [5]]];
const LSTM_MODULE = { mode: 'LSTM', inputSize: 16, hiddenSize: 32, numLayers: 2, bidirectional: false, bias: true, projSize: 0 } as const;

// PyTorch 1.13: encoder nn.GRU(8, 12, bidirectional=True), decoder nn.GRU(24, 24, bias=False) plus a LayerNorm(24)
const GRU_BI: [string, number[]][] = [
  ['weight_ih_l0', [36, 8]], ['weight_hh_l0', [36, 12]], ['bias_ih_l0', [36]], ['bias_hh_l0', [36]],
  ['weight_ih_l0_reverse', [36, 8]], ['weight_hh_l0_reverse', [36, 12]], ['bias_ih_l0_reverse', [36]], ['bias_hh_l0_reverse', [36]],
];
const GRU_NOBIAS: [string, number[]][] = [['weight_ih_l0', [72, 24]], ['weight_hh_l0', [72, 24]]];
const SEQ2SEQ: [string, number[]][] = [...under('encoder.rnn.', GRU_BI), ['decoder.norm.weight', [24]], ['decoder.norm.bias', [24]], ...under('decoder.rnn.', GRU_NOBIAS)];

describe('stripWrapperPrefixes', () => {
  it.each([
    ['module.', ['module.']],
    ['_orig_mod.', ['_orig_mod.']],
    ['module._orig_mod.', ['module.', '_orig_mod.']],
    ['_orig_mod.module.', ['_orig_mod.', 'module.']],
    ['module.module.', ['module.', 'module.']],
  ])('strips %s when every key has it', (wrapper, wrappers) => {
    const { stateDict, wrappers: stripped } = stripWrapperPrefixes(stateDictOf(under(wrapper, MODEL)));
    expect(stripped).toEqual(wrappers);
    expect(Object.keys(stateDict)).toEqual(MODEL.map(([name]) => name));
  });

  it("keeps a submodule called 'module' beside others", () => {
    const shapes: [string, number[]][] = [...under('module.', LSTM_2), ['fc.weight', [5, 32]]];
    expect(stripWrapperPrefixes(stateDictOf(shapes))).toEqual({ stateDict: stateDictOf(shapes), wrappers: [] });
  });
});

describe('findRecurrentModules', () => {
  it('finds the LSTM of a whole model, under DataParallel and torch.compile too', () => {
    for (const wrapper of ['', 'module.', '_orig_mod.', 'module._orig_mod.']) {
      expect(findRecurrentModules(stateDictOf(under(wrapper, MODEL)))).toEqual([{ prefix: 'lstm.', ...LSTM_MODULE }]);
    }
  });

  it("finds a bare module at prefix ''", () => {
    expect(findRecurrentModules(stateDictOf(LSTM_2))).toEqual([{ prefix: '', ...LSTM_MODULE }]);
  });

  it('finds an encoder and a decoder in the order of their keys', () => {
    expect(findRecurrentModules(stateDictOf(SEQ2SEQ))).toEqual([
      { prefix: 'encoder.rnn.', mode: 'GRU', inputSize: 8, hiddenSize: 12, numLayers: 1, bidirectional: true, bias: true, projSize: 0 },
      { prefix: 'decoder.rnn.', mode: 'GRU', inputSize: 24, hiddenSize: 24, numLayers: 1, bidirectional: false, bias: false, projSize: 0 },
    ]);
  });

  it('names the keys of a broken module with their prefix', () => {
    const shapes = MODEL.filter(([name]) => name !== 'lstm.bias_hh_l1');
    expect(() => findRecurrentModules(stateDictOf(shapes))).toThrow(WeightsError);
    expect(() => findRecurrentModules(stateDictOf(shapes))).toThrow(/^weights: lstm\.: missing key 'bias_hh_l1'$/);
  });

  it('finds none in a model without one', () => {
    expect(findRecurrentModules(stateDictOf([['fc.weight', [5, 32]]]))).toEqual([]);
  });
});

describe('findOtherModules', () => {
  it('describes the embedding and the linear head by shape', () => {
    const others = findOtherModules(stateDictOf(under('module.', MODEL)));
    expect(others).toEqual([
      { prefix: 'embedding.', kind: 'Embedding or Linear', shapes: { weight: [100, 16] } },
      { prefix: 'fc.', kind: 'Linear', shapes: { weight: [5, 32], bias: [5] } },
    ]);
    expect(others.map(describeModule)).toEqual(["'embedding.': Embedding or Linear weight [100, 16]", "'fc.': Linear weight [5, 32], bias [5]"]);
  });

  it('tells a LayerNorm, and calls anything else other', () => {
    const shapes: [string, number[]][] = [
      ['norm.weight', [24]], ['norm.bias', [24]],
      ['bn.weight', [7]], ['bn.bias', [7]], ['bn.running_mean', [7]],
      ['conv.weight', [7, 3, 5]], ['fc.weight', [5, 7]], ['fc.bias', [7]],
    ];
    expect(findOtherModules(stateDictOf(shapes)).map(({ prefix, kind }) => [prefix, kind])).toEqual([
      ['norm.', 'LayerNorm'], ['bn.', 'unknown'], ['conv.', 'unknown'], ['fc.', 'unknown'],
    ]);
  });

  it("leaves out the recurrent modules' parameters; one a recurrent module does not have is unexpected, as load_state_dict says", () => {
    expect(findOtherModules(stateDictOf([...LSTM_2, ['fc.weight', [5, 32]]]))).toEqual([{ prefix: 'fc.', kind: 'Embedding or Linear', shapes: { weight: [5, 32] } }]);
    expect(() => findRecurrentModules(stateDictOf([...LSTM_2, ['scale', [3]]]))).toThrow(/^weights: unexpected key 'scale'$/);
  });
});

describe('describeModule', () => {
  it("writes a recurrent module as its constructor call, proj_size for an LSTM", () => {
    expect(findRecurrentModules(stateDictOf(MODEL)).map(describeModule)).toEqual([
      "'lstm.': nn.LSTM(input_size=16, hidden_size=32, num_layers=2, bidirectional=False, bias=True, proj_size=0)",
    ]);
    expect(findRecurrentModules(stateDictOf(GRU_NOBIAS)).map(describeModule)).toEqual([
      "'' (the model itself): nn.GRU(input_size=24, hidden_size=24, num_layers=1, bidirectional=False, bias=False)",
    ]);
  });
});

describe('selectModule', () => {
  const model = stateDictOf(under('module.', MODEL));

  it.each(['fc', 'fc.', 'module.fc', 'module.fc.'])('selects %s without its prefix', (prefix) => {
    expect(selectModule(model, prefix)).toEqual({ weight: model['module.fc.weight'], bias: model['module.fc.bias'] });
  });

  it('selects a module with its submodules', () => {
    expect(Object.keys(selectModule(stateDictOf(SEQ2SEQ), 'decoder'))).toEqual(['norm.weight', 'norm.bias', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0']);
  });

  it("selects the whole unwrapped state_dict with ''", () => {
    expect(Object.keys(selectModule(model, ''))).toEqual(MODEL.map(([name]) => name));
  });

  it('lists the prefixes there are for one that is not', () => {
    for (const prefix of ['rnn', 'ls', 'lstm.weight_ih_l0']) {
      expect(() => selectModule(model, prefix)).toThrow(PrefixError);
      expect(() => selectModule(model, prefix)).toThrow(
        new RegExp(`^prefix: expected the prefix of a module of the state_dict: 'embedding\\.', 'lstm\\.', 'fc\\.', got '${prefix.replace(/\./g, '\\.')}'$`),
      );
    }
  });

  it("takes prefixes that look like patterns or like Object's own names as plain text", () => {
    const odd = stateDictOf([['__proto__.weight', [2, 3]], ['constructor.weight', [4]], ['a*b.weight', [5]]]);
    expect(selectModule(odd, '__proto__')).toEqual({ weight: odd['__proto__.weight'] });
    expect(Object.getPrototypeOf(selectModule(odd, '__proto__'))).toBe(Object.prototype);
    expect(findOtherModules(odd).map(({ prefix, shapes }) => [prefix, Object.keys(shapes)])).toEqual([['__proto__.', ['weight']], ['constructor.', ['weight']], ['a*b.', ['weight']]]);
    expect(() => selectModule(odd, '.*')).toThrow(PrefixError);
    expect(() => selectModule(odd, 'a')).toThrow(PrefixError);
  });

  it('refuses a prefix that is not a string, naming its type', () => {
    expect(() => selectModule(model, 3 as unknown as string)).toThrow(ArgumentError);
    expect(() => selectModule(model, 3 as unknown as string)).toThrow(/^prefix: expected a module prefix: .*, got number$/);
  });
});

describe('selectRecurrentModule', () => {
  it('chooses the only recurrent module by itself, its parameters under their own names', () => {
    const model = stateDictOf(under('module.', MODEL));
    const { module, tensors } = selectRecurrentModule(model);
    expect(module).toEqual({ prefix: 'lstm.', ...LSTM_MODULE });
    expect(Object.keys(tensors)).toEqual(LSTM_2.map(([name]) => name));
    expect(tensors.weight_hh_l1).toBe(model['module.lstm.weight_hh_l1']);
  });

  it.each(['encoder.rnn', 'encoder.rnn.', 'decoder.rnn'])('selects %s among several', (prefix) => {
    const { module, tensors } = selectRecurrentModule(stateDictOf(SEQ2SEQ), prefix);
    expect(module.prefix).toBe(`${prefix.replace(/\.$/, '')}.`);
    expect(Object.keys(tensors)).toEqual((prefix.startsWith('encoder') ? GRU_BI : GRU_NOBIAS).map(([name]) => name));
  });

  it('lists the recurrent modules when several are there and no prefix is given', () => {
    expect(() => selectRecurrentModule(stateDictOf(SEQ2SEQ), undefined, '--prefix')).toThrow(
      /^--prefix: expected a state_dict with one nn\.RNN, nn\.LSTM or nn\.GRU, got 2 recurrent modules, 'encoder\.rnn\.', 'decoder\.rnn\.': choose one with --prefix$/,
    );
  });

  it('lists the recurrent modules for a prefix that names none', () => {
    for (const prefix of ['decoder', 'decoder.norm', 'rnn', '']) {
      expect(() => selectRecurrentModule(stateDictOf(SEQ2SEQ), prefix)).toThrow(PrefixError);
      expect(() => selectRecurrentModule(stateDictOf(SEQ2SEQ), prefix)).toThrow(
        /^prefix: expected the prefix of a recurrent module of the state_dict: 'encoder\.rnn\.', 'decoder\.rnn\.', got '.*'$/,
      );
    }
  });

  it('says there is none, and which modules there are', () => {
    expect(() => selectRecurrentModule(stateDictOf([['fc.weight', [5, 32]], ['fc.bias', [5]]]))).toThrow(
      /^prefix: expected a state_dict with one nn\.RNN, nn\.LSTM or nn\.GRU, got a state_dict without one \(no key ends in weight_ih_l0; modules: 'fc\.'\)$/,
    );
  });
});
