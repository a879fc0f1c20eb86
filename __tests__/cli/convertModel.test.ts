import { promises as fs } from 'fs';
import { join } from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src'; // the Node entry, which registers the file:// routers
import { FORWARD_TOLERANCE } from '../../src/compare';
import { SPEC_METADATA_KEY } from '../../src/model';
import { expectClose } from '../helpers/expectClose';
import { modelFixturePath, npyTensor, readNpyFile } from '../helpers/modelFixtures';
import { cpuWithTempDir, runCli } from './helpers';

/** `convert --model`: a whole model's twin as a tfjs LayersModel that tf.loadLayersModel runs as PyTorch did. */

const fixture = modelFixturePath;
const tempDir = cpuWithTempDir(initBackend);

/** The fixture's lengths as the saved model takes them, `[N, 1]` float32 (every step valid without lengths). */
async function lengthsOf(name: string, batch: number, seqLen: number): Promise<tf.Tensor2D> {
  const path = fixture(name, 'lengths.npy');
  const given = await fs.stat(path).then(() => true, () => false);
  return tf.tensor2d(given ? Float32Array.from(readNpyFile(path).values) : new Float32Array(batch).fill(seqLen), [batch, 1]);
}

describe('convert --model', () => {
  it.each([
    ['gru_classifier', true],
    ['dataparallel_checkpoint', true],
    ['lstm_tagger', true],
    ['encoder_decoder', true],
    ['rnn_regressor', false],
    ['gru_mean_mlp', false],
  ])('%s: tf.loadLayersModel runs it as PyTorch did', async (name, batchFirst) => {
    const out = join(tempDir(), 'model.json');
    const result = await runCli(['convert', '--backend', 'cpu', '--model', fixture(name, 'spec.json'), '--weights', fixture(name, 'model.pt'), out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ -> .*model\.json \+ weights\.bin \(tfjs\)\n$/);
    const model = await tf.loadLayersModel(`file://${out}`);
    try {
      expect(model.inputNames).toEqual(['input', 'lengths']);
      expect(model.getUserDefinedMetadata()).toEqual({ [SPEC_METADATA_KEY]: expect.objectContaining({ batch_first: batchFirst }) });
      const input = npyTensor(fixture(name, 'input.npy'));
      const [batch, seqLen] = batchFirst ? [input.shape[0], input.shape[1] as number] : [input.shape[1] as number, input.shape[0]];
      const lengths = await lengthsOf(name, batch, seqLen);
      // Batch-first models run with predict; time-major ones with execute (see buildTwinModel).
      const output = batchFirst ? (model.predict([input, lengths]) as tf.Tensor) : (model.execute([input, lengths], model.outputs[0].name) as tf.Tensor);
      const expected = npyTensor(fixture(name, 'output.npy'));
      expectClose(output, expected, FORWARD_TOLERANCE, name);
      tf.dispose([input, lengths, output, expected]);
    } finally {
      model.dispose();
    }
  });

  it('refuses another target, module flags, and an output over an input', async () => {
    const args = ['convert', '--model', fixture('gru_classifier', 'spec.json'), '--weights', fixture('gru_classifier', 'model.pt')];
    const pt = await runCli([...args, '--to', 'pt', join(tempDir(), 'out.pt')]);
    expect([pt.code, pt.stderr]).toEqual([2, expect.stringMatching(/--to: expected tfjs \(or nothing\) with --model/)]);
    const prefix = await runCli([...args, '--prefix', 'gru', join(tempDir(), 'model.json')]);
    expect([prefix.code, prefix.stderr]).toEqual([2, expect.stringMatching(/--prefix: expected nothing with --model/)]);
    const copy = join(tempDir(), 'spec.json');
    await fs.copyFile(fixture('gru_classifier', 'spec.json'), copy);
    const over = await runCli(['convert', '--model', copy, '--weights', fixture('gru_classifier', 'model.pt'), copy]);
    expect(over.code).toBe(2);
    expect(await fs.readFile(copy, 'utf8')).toBe(await fs.readFile(fixture('gru_classifier', 'spec.json'), 'utf8'));
    expect((await fs.readdir(tempDir())).sort()).toEqual(['spec.json']);
  });
});
