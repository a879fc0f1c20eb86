import * as tf from '@tensorflow/tfjs';
import { ManualWholeModel, generate, initBackend } from '../../src';
import { describeEachBackend } from '../helpers/backends';
import { ModelFixture, loadModelFixture, npyTensor } from '../helpers/modelFixtures';

/**
 * Generation against PyTorch: fixtures/models/char_lm holds a character LSTM language model,
 * a prompt and PyTorch's greedy 20-token continuation (argmax fed back one token at a time).
 */

let fixture: ModelFixture;
beforeAll(async () => {
  await initBackend('cpu');
  fixture = await loadModelFixture('char_lm');
});

function expected(): number[][] {
  const tokens = npyTensor(`${fixture.dir}/generated.npy`);
  const values = tokens.arraySync() as number[][];
  tokens.dispose();
  return values;
}

describeEachBackend(() => {
  it('greedy continuation is PyTorch\'s, token for token, leak-free', () => {
    const model = new ManualWholeModel(fixture.spec, fixture.stateDict);
    const prompt = npyTensor(fixture.inputPath);
    try {
      const before = tf.memory().numTensors;
      const tokens = generate(model, prompt, { steps: 20 });
      expect(tokens.shape).toEqual([2, 20]);
      expect(tokens.dtype).toBe('int32');
      expect(tokens.arraySync()).toEqual(expected());
      tokens.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      prompt.dispose();
      model.dispose();
    }
  });
});

describe('sampling and options', () => {
  let model: ManualWholeModel;
  let prompt: tf.Tensor;
  beforeAll(() => {
    model = new ManualWholeModel(fixture.spec, fixture.stateDict);
    prompt = npyTensor(fixture.inputPath);
  });
  afterAll(() => {
    prompt.dispose();
    model.dispose();
  });
  const run = (options: Parameters<typeof generate>[2], input = prompt) => {
    const tokens = generate(model, input, options);
    const values = tokens.arraySync() as number[][];
    tokens.dispose();
    return values;
  };

  it('top-k 1 samples the greedy tokens at any temperature', () => {
    expect(run({ steps: 20, temperature: 5, topK: 1, seed: 3 })).toEqual(expected());
  });
  it('a seed gives the same tokens every time; sampled tokens are in the vocabulary', () => {
    const first = run({ steps: 20, temperature: 1.5, seed: 7 });
    expect(run({ steps: 20, temperature: 1.5, seed: 7 })).toEqual(first);
    expect(first.flat().every((token) => Number.isInteger(token) && token >= 0 && token < 12)).toBe(true);
    const seeds = [1, 2, 3, 4].map((seed) => JSON.stringify(run({ steps: 20, temperature: 1.5, seed })));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
  it('a 1-D prompt is a batch of one; a stop id ends a sequence', () => {
    const single = tf.tensor1d((prompt.arraySync() as number[][])[1], 'int32');
    try {
      const greedy = expected()[1];
      expect(run({ steps: 20 }, single)).toEqual([greedy]);
      const stop = greedy[3];
      const stopped = run({ steps: 20, stopId: stop }, single)[0];
      const at = greedy.indexOf(stop);
      expect(stopped).toEqual([...greedy.slice(0, at + 1), ...new Array(20 - at - 1).fill(stop)]);
    } finally {
      single.dispose();
    }
  });
  it.each([
    [{ steps: 0 }, /^steps: expected a positive integer \(new tokens per prompt\), got 0 \(number\)$/],
    [{ steps: 5, temperature: -1 }, /^temperature: expected a finite number ≥ 0 \(0: greedy\), got -1 \(number\)$/],
    [{ steps: 5, topK: 13 }, /^topK: expected an integer in \[0, 12\] \(0: the whole vocabulary\), got 13 \(number\)$/],
    [{ steps: 5, stopId: 12 }, /^stopId: expected a token id in \[0, 12\), got 12 \(number\)$/],
  ])('refuses %j', (options, message) => {
    expect(() => generate(model, prompt, options)).toThrow(message);
  });
  it('refuses float prompts, ids outside the vocabulary, and models that are not language models', async () => {
    const floats = tf.zeros([2, 5]);
    const outside = tf.tensor2d([[1, 12]], undefined, 'int32');
    try {
      expect(() => generate(model, floats, { steps: 2 })).toThrow(/^prompt: expected int32 token ids, got float32$/);
      expect(() => generate(model, outside, { steps: 2 })).toThrow(/^prompt\[0, 1\]: expected a token id in \[0, 12\)/);
    } finally {
      tf.dispose([floats, outside]);
    }
    const classifier = await loadModelFixture('gru_classifier');
    const other = new ManualWholeModel(classifier.spec, classifier.stateDict);
    const ids = tf.tensor2d([[1, 2]], undefined, 'int32');
    try {
      expect(() => generate(other, ids, { steps: 2 })).toThrow(/^layers\[2\].type: expected no selection \(Last, FinalHidden, Mean, Max\) in a language model.*got 'FinalHidden'$/);
    } finally {
      ids.dispose();
      other.dispose();
    }
  });
});
