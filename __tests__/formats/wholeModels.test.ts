import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'fs';
import { join } from 'path';
import { FORWARD_TOLERANCE } from '../../src/compare';
import { ArgumentError, FormatError, PrefixError } from '../../src/errors';
import { HostArray, inferConfig, loadStateDict, parseNpy, parseStateDict, toTensors } from '../../src/formats';
import { createManualModel } from '../../src/manual';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { expectClose } from '../helpers/expectClose';

/**
 * The library's choice of the recurrent module in a whole model's state_dict
 * (`loadStateDict(path, { prefix })`, `parseStateDict(bytes, format, { prefix })`), on files
 * from real PyTorch: fixtures/pt/whole_models, made by scripts/make_pt_fixtures.py (torch 1.13),
 * which documents each model, and the recurrent modules' outputs there.
 */

const WHOLE = join(__dirname, '..', '..', 'fixtures', 'pt', 'whole_models');
const fixture = (name: string): string => join(WHOLE, name);
const npy = (name: string): HostArray => parseNpy(readFileSync(fixture(name)), name);

/** The LSTM keys of `WholeModel`'s `lstm` (nn.LSTM(16, 32, num_layers=2)), as the module's own state_dict names them. */
const LSTM_KEYS = [0, 1].flatMap((layer) => ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((kind) => `${kind}_l${layer}`));

/**
 * Runs the recurrent module `tensors` with `batchFirst` on the fixture input `input` and
 * expects PyTorch's outputs `expected` (output, h_n, and an LSTM's c_n).
 */
function expectPyTorchOutputs(tensors: Record<string, HostArray>, batchFirst: boolean, input: string, expected: Record<'output' | 'hN' | 'cN', string | undefined>): void {
  const model = createManualModel({ ...inferConfig(tensors), batchFirst });
  const parameters = toTensors(tensors);
  model.loadStateDict(parameters);
  Object.values(parameters).forEach((tensor) => tensor.dispose());
  try {
    const run = () =>
      tf.tidy(() => {
        const x = npy(input);
        const result = model.forward(tf.tensor(x.data, x.shape));
        for (const name of ['output', 'hN', 'cN'] as const) {
          const file = expected[name];
          if (file === undefined) continue;
          const want = npy(file);
          expectClose(result[name] as tf.Tensor, tf.tensor(want.data, want.shape), FORWARD_TOLERANCE, `${input} ${name}`);
        }
      });
    expectNoLeak(run);
  } finally {
    model.dispose();
  }
}

const LSTM_EXPECTED = { output: 'lstm_output.npy', hN: 'lstm_h_n.npy', cN: 'lstm_c_n.npy' };

describeEachBackend(() => {
  describe("loadStateDict's module computes as PyTorch's", () => {
    it.each([
      ['model.pt', {}],
      ['model.pt', { prefix: 'lstm' }],
      ['data_parallel.pt', {}],
      ['data_parallel.pt', { prefix: 'lstm.' }],
      ['data_parallel.pt', { prefix: 'module.lstm', key: 'model_state_dict' }],
      ['compiled.pt', {}],
      ['compiled.pt', { prefix: '_orig_mod.lstm' }],
      ['nested.pt', { key: 'models.student' }],
      ['nested.pt', { key: 'models.student', prefix: 'lstm' }],
    ])("%s with %o: the only LSTM, as PyTorch's model.lstm computes", async (name, options) => {
      const tensors = await loadStateDict(fixture(name), options);
      expect(Object.keys(tensors)).toEqual(LSTM_KEYS);
      expectPyTorchOutputs(tensors, true, 'lstm_input.npy', LSTM_EXPECTED);
    });

    it('selects each recurrent module of an encoder/decoder by its prefix', async () => {
      const encoder = await loadStateDict(fixture('seq2seq.pt'), { prefix: 'encoder.rnn' });
      expectPyTorchOutputs(encoder, false, 'encoder_input.npy', { output: 'encoder_output.npy', hN: undefined, cN: undefined });
      const decoder = await loadStateDict(fixture('seq2seq.pt'), { prefix: 'decoder.rnn.' });
      expectPyTorchOutputs(decoder, false, 'encoder_output.npy', { output: 'decoder_output.npy', hN: 'decoder_h_n.npy', cN: undefined });
    });

    it('reads a state_dict under a nested key with a dot in it', async () => {
      const tensors = await loadStateDict(fixture('nested.pt'), { key: 'models.teacher.ema.rnn' });
      expectPyTorchOutputs(tensors, false, 'encoder_input.npy', { output: 'encoder_output.npy', hN: undefined, cN: undefined });
    });
  });
});

describe('loadStateDict chooses the recurrent module of a whole model', () => {
  it('gives any module by its prefix, and the whole unwrapped state_dict for the empty prefix', async () => {
    const fc = await loadStateDict(fixture('data_parallel.pt'), { prefix: 'fc' });
    expect(Object.fromEntries(Object.entries(fc).map(([key, { shape }]) => [key, shape]))).toEqual({ weight: [5, 32], bias: [5] });
    const whole = await loadStateDict(fixture('data_parallel.pt'), { prefix: '' });
    expect(Object.keys(whole)).toEqual(['embedding.weight', ...LSTM_KEYS.map((key) => `lstm.${key}`), 'fc.weight', 'fc.bias']);
  });

  it("leaves out a BatchNorm's int64 num_batches_tracked, and nothing else", async () => {
    const whole = await loadStateDict(fixture('crnn.pt'), { prefix: '' });
    expect(Object.keys(whole)).toEqual([
      'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var',
      'gru.weight_ih_l0', 'gru.weight_hh_l0', 'gru.bias_ih_l0', 'gru.bias_hh_l0', 'fc.weight', 'fc.bias',
    ]);
  });

  it('lists the recurrent modules when there are several and no prefix', async () => {
    await expect(loadStateDict(fixture('seq2seq.pt'))).rejects.toThrow(PrefixError);
    await expect(loadStateDict(fixture('seq2seq.pt'))).rejects.toThrow(
      "prefix: expected a state_dict with one nn.RNN, nn.LSTM or nn.GRU, got 2 recurrent modules, 'encoder.rnn.', 'decoder.rnn.': choose one with prefix",
    );
  });

  it('lists the prefixes there are for one that is not', async () => {
    await expect(loadStateDict(fixture('model.pt'), { prefix: 'rnn' })).rejects.toThrow(
      "prefix: expected the prefix of a module of the state_dict: 'embedding.', 'lstm.', 'fc.', got 'rnn'",
    );
  });

  it.each([
    ['models', "nested.pt['models']: expected a state_dict: a dict of parameter names to tensors, got a dict of keys 'student', 'teacher.ema'"],
    ['models.teacher', "nested.pt['models']: expected a checkpoint dict with an entry 'teacher', got a dict of keys 'student', 'teacher.ema'"],
    ['models..student', "nested.pt['models']: expected a checkpoint dict with an entry '' (or '.student'), got a dict of keys 'student', 'teacher.ema'"],
    ['step.x', "nested.pt['step']: expected a checkpoint dict with an entry 'x', got the number 5"],
    ['models.student.lstm', "nested.pt['models']['student']: expected a checkpoint dict with an entry 'lstm', got a state_dict: select its module 'lstm' with --prefix lstm or { prefix: 'lstm' }, and models.student as the key"],
  ])('says where a dotted key %s stops', async (key, message) => {
    await expect(loadStateDict(fixture('nested.pt'), { key })).rejects.toThrow(FormatError);
    await expect(loadStateDict(fixture('nested.pt'), { key })).rejects.toThrow(`${WHOLE}/${message}`);
  });

  it('refuses options of the wrong type, naming the actual type', async () => {
    await expect(loadStateDict(fixture('model.pt'), { prefix: 3 as unknown as string })).rejects.toThrow('prefix: expected a string, got number');
    await expect(loadStateDict(fixture('model.pt'), 'lstm' as unknown as object)).rejects.toThrow(ArgumentError);
  });
});

describe('parseStateDict chooses the same module from bytes', () => {
  const bytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));

  it('chooses the only LSTM, or the one a prefix names, as loadStateDict does', async () => {
    const loaded = await loadStateDict(fixture('data_parallel.pt'));
    expect(parseStateDict(bytes('data_parallel.pt'), 'pt')).toEqual(loaded);
    expect(parseStateDict(bytes('data_parallel.pt'), 'pt', { prefix: 'lstm', key: 'model_state_dict', source: 'dp.pt' })).toEqual(loaded);
    expect(parseStateDict(bytes('nested.pt'), 'pt', { key: 'models.student' })).toEqual(loaded);
    expect(parseStateDict(bytes('seq2seq.pt'), 'pt', { prefix: 'decoder.rnn' })).toEqual(await loadStateDict(fixture('seq2seq.pt'), { prefix: 'decoder.rnn' }));
  });

  it('names the source in errors, given as a string or in the options', () => {
    expect(() => parseStateDict(bytes('seq2seq.pt'), 'pt', 's.pt')).toThrow(PrefixError);
    expect(() => parseStateDict(bytes('nested.pt'), 'pt', { source: 'n.pt' })).toThrow(/^n\.pt: expected a state_dict, or a checkpoint/);
    expect(() => parseStateDict(bytes('nested.pt'), 'pt', 'n.pt')).toThrow(/^n\.pt: expected a state_dict, or a checkpoint/);
  });

  it('refuses a key for a format without checkpoints', () => {
    expect(() => parseStateDict(new TextEncoder().encode('{}'), 'json', { key: 'model' })).toThrow("key: expected the format pt, whose checkpoint entry it names, got the format 'json'");
  });
});
