import * as tf from '@tensorflow/tfjs';
import { join } from 'path';
import {
  ArgumentError,
  DtypeError,
  LayersWholeModel,
  ManualWholeModel,
  ModelSpecError,
  ShapeError,
  WholeModelSpec,
  generate,
  initBackend,
} from '../../src';
import { philox4x32, topKIds, uniformAt } from '../../src/generate';
import { describeEachBackend, expectNoLeak } from '../helpers/backends';
import { ModelFixture, loadModelFixture, npyTensor, readNpyFile } from '../helpers/modelFixtures';

/**
 * Text generation against PyTorch: `fixtures/models/char_lm` (scripts/make_model_fixtures.py)
 * holds a character LSTM language model, two prompts and PyTorch's greedy continuation
 * `generated.npy` [2, 20]: `logits, state = model(prompt); token = logits[:, -1].argmax(-1);
 * logits, state = model(token[:, None], state)`, 20 times.
 */

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, undefined, 'int32');
}

/** `generate`'s tokens as nested arrays; the tensors disposed. */
function tokensOf(model: ManualWholeModel | LayersWholeModel, prompt: tf.Tensor, options: Parameters<typeof generate>[2]): number[][] {
  const result = generate(model, prompt, options);
  expect(result.rank).toBe(2);
  const rows = result.arraySync() as number[][];
  result.dispose();
  return rows;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('Philox4x32-10', () => {
  // Random123's known-answer vectors (kat_vectors: philox4x32 10).
  it.each([
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ])('counter %j key %j', (counter, key, expected) => {
    expect(philox4x32(counter, key)).toEqual(expected);
  });

  it('uniforms in [0, 1), a function of (seed, row, step), spread evenly', () => {
    const draws = Array.from({ length: 4000 }, (_, step) => uniformAt(7, 0, step));
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(uniformAt(7, 0, 3)).toBe(draws[3]);
    expect(uniformAt(8, 0, 3)).not.toBe(draws[3]);
    expect(uniformAt(7, 1, 3)).not.toBe(draws[3]);
    // Each tenth of [0, 1) holds 400 ± 5σ (σ = √(4000·0.1·0.9) ≈ 19) of the draws.
    const deciles = new Array(10).fill(0);
    draws.forEach((u) => deciles[Math.floor(u * 10)]++);
    deciles.forEach((count) => expect(Math.abs(count - 400)).toBeLessThan(95));
  });
});

describe('topKIds', () => {
  it('keeps the k largest, equal values in id order', () => {
    const logits = Float32Array.from([1, 3, 2, 3, 0]);
    expect(topKIds(logits, 1)).toEqual([1]);
    expect(topKIds(logits, 2)).toEqual([1, 3]);
    expect(topKIds(logits, 3)).toEqual([1, 2, 3]);
    expect(topKIds(logits, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});

/** PyTorch's greedy continuation of a language model fixture: `generated.npy` as rows. */
function generatedRows(fixture: ModelFixture): number[][] {
  const file = readNpyFile(join(fixture.dir, 'generated.npy'));
  const [rows, steps] = file.shape;
  return Array.from({ length: rows }, (_, n) => Array.from(file.values.subarray(n * steps, (n + 1) * steps)));
}

describeEachBackend(() => {
  // gru_lm: Embedding → GRU → Linear → Tanh → Linear → LogSoftmax (the Tanh on tf ops, the rest on the host).
  describe.each(['char_lm', 'gru_lm'])('%s', (name) => {
    it.each(['manual', 'twin'])("greedy (%s): PyTorch's continuation token for token, both prompts at once, leak-free", async (implementation) => {
      const lm = await loadModelFixture(name);
      const model = implementation === 'manual' ? new ManualWholeModel(lm.spec, lm.stateDict) : new LayersWholeModel(lm.spec, lm.stateDict);
      const prompt = npyTensor(lm.inputPath);
      const expected = generatedRows(lm);
      expect(tokensOf(model, prompt, { steps: expected[0].length })).toEqual(expected);
      expectNoLeak(() => tf.dispose(generate(model, prompt, { steps: expected[0].length })));
      prompt.dispose();
      model.dispose();
    });
  });

  let fixture: ModelFixture;
  let generated: number[][];
  let steps: number;
  beforeAll(async () => {
    fixture = await loadModelFixture('char_lm');
    generated = generatedRows(fixture);
    steps = generated[0].length;
  });

  describe.each([
    ['manual', (f: ModelFixture) => new ManualWholeModel(f.spec, f.stateDict)],
    ['twin', (f: ModelFixture) => new LayersWholeModel(f.spec, f.stateDict)],
  ] as const)('char_lm (%s)', (_, build) => {
    let model: ManualWholeModel | LayersWholeModel;
    let prompt: tf.Tensor;
    beforeAll(() => {
      model = build(fixture);
      prompt = npyTensor(fixture.inputPath);
    });
    afterAll(() => {
      model.dispose();
      prompt.dispose();
    });

    it('each prompt alone ([P] and [1, P], both giving [1, steps]) gives its row of the batch', () => {
      const rows = tf.unstack(prompt);
      rows.forEach((row, n) => {
        expect(tokensOf(model, row, { steps })).toEqual([generated[n]]);
        const single = generate(model, row, { steps: 3 });
        expect(single.shape).toEqual([1, 3]);
        single.dispose();
        const batched = row.expandDims(0);
        expect(tokensOf(model, batched, { steps })).toEqual([generated[n]]);
        batched.dispose();
      });
      tf.dispose(rows);
    });

    it('a shorter run is a prefix; a one-token prompt works', () => {
      expect(tokensOf(model, prompt, { steps: 5 })).toEqual(generated.map((row) => row.slice(0, 5)));
      const single = ids([[generated[0][0]]]);
      expect(tokensOf(model, single, { steps: 2 })[0]).toHaveLength(2);
      single.dispose();
    });

    it('top-k 1 is greedy, whatever the temperature and seed', () => {
      expect(tokensOf(model, prompt, { steps, topK: 1, temperature: 3, seed: 5 })).toEqual(generated);
    });

    it('a temperature near 0 is greedy (the margins are ≥ 0.26); temperature 0, top-k 0 and a seed alone are greedy', () => {
      expect(tokensOf(model, prompt, { steps, temperature: 1e-3, seed: 11 })).toEqual(generated);
      expect(tokensOf(model, prompt, { steps, temperature: 0, topK: 0, seed: 11 })).toEqual(generated);
    });

    it('seeded sampling: the same seed the same tokens, another seed others; leak-free', () => {
      const options = { steps, temperature: 2, seed: 1234 };
      const first = tokensOf(model, prompt, options);
      expect(tokensOf(model, prompt, options)).toEqual(first);
      expect(tokensOf(model, prompt, { ...options, seed: 1235 })).not.toEqual(first);
      expect(first).not.toEqual(generated);
      first.flat().forEach((id) => expect(id >= 0 && id < 12).toBe(true));
      expectNoLeak(() => tf.dispose(generate(model, prompt, options)));
    });

    it("top-k sampling draws only among the k best logits of each step (the model's own logits over prompt + tokens)", () => {
      const sampled = tokensOf(model, prompt, { steps, topK: 2, temperature: 5, seed: 3 });
      expect(sampled).not.toEqual(generated);
      const [batch, promptLength] = prompt.shape;
      const logits = tf.tidy(() => {
        const text = tf.concat([prompt, tf.tensor2d(sampled.map((row) => row.slice(0, -1)), undefined, 'int32')], 1);
        return model.predict(text).arraySync() as number[][][];
      });
      for (let n = 0; n < batch; n++) {
        sampled[n].forEach((id, step) => {
          const row = logits[n][promptLength - 1 + step];
          const sorted = [...row].sort((a, b) => b - a);
          expect(row[id]).toBeGreaterThanOrEqual(sorted[1]);
        });
      }
    });

    it('a stop id: each row stops at its first one and repeats it', () => {
      const stopId = generated[0][4];
      const result = tokensOf(model, prompt, { steps, stopId });
      result.forEach((row, n) => {
        const first = generated[n].indexOf(stopId);
        const expected = first < 0 ? generated[n] : [...generated[n].slice(0, first + 1), ...new Array(steps - first - 1).fill(stopId)];
        expect(row).toEqual(expected);
      });
    });
  });
});

describe('refusals', () => {
  let fixture: ModelFixture;
  let model: ManualWholeModel;
  let prompt: tf.Tensor;
  beforeAll(async () => {
    fixture = await loadModelFixture('char_lm');
    model = new ManualWholeModel(fixture.spec, fixture.stateDict);
    prompt = npyTensor(fixture.inputPath);
  });
  afterAll(() => {
    model.dispose();
    prompt.dispose();
  });

  it.each([
    [{ steps: 0 }, ArgumentError, /^steps: expected a positive integer .*got 0 \(number\)/],
    [{ steps: 2.5 }, ArgumentError, /^steps: /],
    [{ steps: '3' }, ArgumentError, /^steps: .*got '3' \(string\)/],
    [{ steps: 3, temperature: -1 }, ArgumentError, /^temperature: expected a finite number ≥ 0 \(0: greedy\), got -1 \(number\)/],
    [{ steps: 3, temperature: Infinity }, ArgumentError, /^temperature: /],
    [{ steps: 3, topK: -1 }, ArgumentError, /^topK: expected an integer in \[0, 12\]/],
    [{ steps: 3, topK: 13 }, ArgumentError, /^topK: .*got 13/],
    [{ steps: 3, temperature: 1, seed: 0.5 }, ArgumentError, /^seed: expected an integer in \[0, 2\^53\)/],
    [{ steps: 3, temperature: 1, seed: -1 }, ArgumentError, /^seed: expected an integer in \[0, 2\^53\)/],
    [{ steps: 3, stopId: 12 }, ArgumentError, /^stopId: expected a token id in \[0, 12\), got 12/],
    [{ steps: 3, topk: 2 }, ArgumentError, /^options.topk: expected only the options/],
  ])('options %j', (options, type, message) => {
    const before = tf.memory().numTensors;
    expect(() => generate(model, prompt, options as never)).toThrow(type);
    expect(() => generate(model, prompt, options as never)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an id outside [0, V) names its position', () => {
    const bad = ids([[1, 2, 3], [4, 12, 5]]);
    expect(() => generate(model, bad, { steps: 2 })).toThrow(/^prompt\[1, 1\]: expected a token id in \[0, 12\).*got 12/);
    const negative = tf.tensor1d([3, -1], 'int32');
    expect(() => generate(model, negative, { steps: 2 })).toThrow(/^prompt\[1\]: .*got -1/);
    tf.dispose([bad, negative]);
  });

  it('a prompt of the wrong type, dtype or shape', () => {
    const floats = tf.tensor2d([[1, 2]]);
    const cube = tf.zeros([1, 2, 3], 'int32');
    const empty = tf.zeros([2, 0], 'int32');
    expect(() => generate(model, [[1, 2]] as never, { steps: 2 })).toThrow(/^prompt: expected a tf.Tensor of int32 token ids, got Array/);
    expect(() => generate(model, floats, { steps: 2 })).toThrow(DtypeError);
    expect(() => generate(model, cube, { steps: 2 })).toThrow(ShapeError);
    expect(() => generate(model, empty, { steps: 2 })).toThrow(/^prompt: expected \[batch, P\] or \[P\].*got \[2, 0\]/);
    tf.dispose([floats, cube, empty]);
  });

  const lm: WholeModelSpec['layers'] = [
    { type: 'Embedding', name: 'embedding' },
    { type: 'LSTM', name: 'lstm' },
    { type: 'Linear', name: 'fc' },
  ];
  it.each([
    ['a selection', [...lm.slice(0, 2), { type: 'Last' }, lm[2]], /^layers\[2\].type: expected no selection .*got 'Last'/],
    ['no Linear last', [...lm, { type: 'ReLU' }], /^layers\[3\].type: expected 'Linear' to the 12 logits/],
  ])('a spec that is not a language model: %s', (_, layers, message) => {
    const other = new ManualWholeModel({ batch_first: true, layers }, fixture.stateDict);
    expect(() => generate(other, prompt, { steps: 2 })).toThrow(ModelSpecError);
    expect(() => generate(other, prompt, { steps: 2 })).toThrow(message);
    other.dispose();
  });

  it('a bidirectional recurrent layer, a Linear to other than V, float inputs', async () => {
    const classifier = await loadModelFixture('gru_classifier');
    const layers = [{ type: 'Embedding', name: 'embedding' }, { type: 'GRU', name: 'gru' }, { type: 'Linear', name: 'fc' }];
    const bidirectional = new ManualWholeModel({ batch_first: true, layers }, classifier.stateDict);
    expect(() => generate(bidirectional, prompt, { steps: 2 })).toThrow(/^layers\[1\] \(GRU 'gru'\): expected a unidirectional layer .*got bidirectional weights/);
    bidirectional.dispose();
    const tagger = await loadModelFixture('lstm_tagger');
    const notV = new ManualWholeModel(tagger.spec, tagger.stateDict);
    expect(() => generate(notV, prompt, { steps: 2 })).toThrow(/unidirectional|outputs/);
    notV.dispose();
    const regressor = await loadModelFixture('rnn_regressor');
    const floats = new ManualWholeModel(regressor.spec, regressor.stateDict);
    expect(() => generate(floats, prompt, { steps: 2 })).toThrow(/^layers\[0\].type: expected 'Embedding' .*got 'RNN'/);
    floats.dispose();
  });

  it("reads the hand-written model's parameters as they are now (after training), and refuses a disposed model", () => {
    const trained = new ManualWholeModel(fixture.spec, fixture.stateDict);
    const bias = trained.namedParameters().get('fc.bias') as tf.Variable;
    // Id 7 ('n') made far likelier than any other at every step: the greedy tokens are all 7.
    tf.tidy(() => bias.assign(tf.add(bias, tf.oneHot(7, 12).mul(100)) as tf.Tensor1D));
    expect(tokensOf(trained, prompt, { steps: 5 })).toEqual([[7, 7, 7, 7, 7], [7, 7, 7, 7, 7]]);
    trained.dispose();
    expect(() => generate(trained, prompt, { steps: 5 })).toThrow(/^model: expected a ManualWholeModel that was not disposed, got a disposed one$/);
  });

  it('a LogSoftmax or Softmax after the logits keeps the greedy tokens', () => {
    const generated = readNpyFile(join(fixture.dir, 'generated.npy')).values;
    for (const type of ['LogSoftmax', 'Softmax']) {
      const withDistribution = new ManualWholeModel({ batch_first: true, layers: [...lm, { type, dim: -1 }] }, fixture.stateDict);
      expect(tokensOf(withDistribution, prompt, { steps: 20 }).flat()).toEqual(Array.from(generated));
      withDistribution.dispose();
    }
  });
});
