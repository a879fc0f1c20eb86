import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { HostArray, WholeModelSpec, loadStateDict } from '../../src';
import { NPY_DTYPES, bufferSource, decodeNpyValues, readNpyHeader } from '../../src/formats/npy';

/** The cases of `scripts/make_model_fixtures.py` (`fixtures/models/<case>/`). */
export const MODEL_FIXTURES = [
  'gru_classifier',
  'lstm_tagger',
  'rnn_regressor',
  'gru_norm_mlp',
  'gru_mean_mlp',
  'char_lm',
  'gru_lm',
  'dataparallel_checkpoint',
  'encoder_decoder',
] as const;

export const MODEL_FIXTURE_ROOT = join(__dirname, '..', '..', 'fixtures', 'models');

/** An `.npy` file as its dtype, shape and values. */
export function readNpyFile(path: string): { dtype: string; shape: number[]; values: Float64Array } {
  const bytes = new Uint8Array(readFileSync(path));
  const { dtype, shape, dataOffset } = readNpyHeader(bufferSource(bytes), NPY_DTYPES, path);
  return { dtype, shape, values: decodeNpyValues(bytes.subarray(dataOffset), dtype) };
}

/** An `.npy` file as a tensor: int32 for integer files (token ids), float32 otherwise; owned by the caller. */
export function npyTensor(path: string): tf.Tensor {
  const { dtype, shape, values } = readNpyFile(path);
  return dtype.startsWith('int') ? tf.tensor(Int32Array.from(values), shape, 'int32') : tf.tensor(Float32Array.from(values), shape, 'float32');
}

/** One whole-model case: its spec, the whole state_dict, and paths of its arrays. */
export interface ModelFixture {
  name: string;
  dir: string;
  spec: WholeModelSpec;
  stateDict: Record<string, HostArray>;
  /** The model's input file (`prompt.npy` for the language model). */
  inputPath: string;
  lengths?: number[];
  outputPath: string;
}

export async function loadModelFixture(name: string, specFile = 'spec.json', outputFile = 'output.npy'): Promise<ModelFixture> {
  const dir = join(MODEL_FIXTURE_ROOT, name);
  const inputPath = existsSync(join(dir, 'input.npy')) ? join(dir, 'input.npy') : join(dir, 'prompt.npy');
  const lengthsPath = join(dir, 'lengths.npy');
  return {
    name,
    dir,
    spec: JSON.parse(readFileSync(join(dir, specFile), 'utf8')) as WholeModelSpec,
    stateDict: await loadStateDict(join(dir, 'model.pt'), { prefix: '' }),
    inputPath,
    ...(existsSync(lengthsPath) && { lengths: Array.from(readNpyFile(lengthsPath).values) }),
    outputPath: join(dir, outputFile),
  };
}

/** The path of `file` in the fixture `name`'s folder. */
export function modelFixturePath(name: string, file: string): string {
  return join(MODEL_FIXTURE_ROOT, name, file);
}
