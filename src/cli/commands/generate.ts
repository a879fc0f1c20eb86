import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend';
import { ArgumentError, FormatError, formatShape } from '../../errors';
import { serializeNpy, writeFileAtomic } from '../../formats';
import { stripWrapperPrefixes } from '../../formats/modules';
import { ManualWholeModel, generate } from '../../model';
import { FlagValues, UsageError, backendFlag, nonNegativeNumber, optionalString, parseFlags, positiveInteger, requiredString } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { WEIGHTS_FLAGS, checkFiniteWeights, readModelSpecFile, readStateDictFlags } from '../modelFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { ID_DTYPES, extensionOf, readIntegerArray } from '../sequenceFile';

const GENERATE_FLAGS = {
  ...WEIGHTS_FLAGS,
  model: { type: 'string', file: 'input' },
  prompt: { type: 'string', file: 'input' },
  steps: { type: 'string' },
  output: { type: 'string', file: 'output' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  'stop-id': { type: 'string' },
  backend: { type: 'string' },
} as const;

/** A non-negative integer flag, or `fallback` when absent. */
function integerFlag(values: FlagValues, name: string, fallback: number | undefined): number | undefined {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`--${name}`, 'a non-negative integer', `'${text}'`);
  return value;
}

/**
 * `tfjs-rnn generate --weights W --model SPEC --prompt P --steps N --output OUT`: a language
 * model's continuation of each prompt (`[P]` or `[batch, P]` token ids, .npy int32/int64 or a
 * JSON list), N new ids per prompt written as int64 `[batch, N]`: greedy, or sampled with
 * `--temperature`, `--top-k` and `--seed`; `--stop-id` ends a sequence. See `generate`.
 */
export async function generateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, GENERATE_FLAGS);
  const output = requiredString(values, 'output');
  extensionOf(output, ['.npy']);
  const steps = positiveInteger(values, 'steps', 0);
  if (steps === 0) throw new UsageError('--steps', 'a positive integer (new tokens per prompt)', 'nothing');
  const options = {
    steps,
    temperature: nonNegativeNumber(values, 'temperature', 0),
    topK: integerFlag(values, 'top-k', 0),
    seed: integerFlag(values, 'seed', 0),
    stopId: integerFlag(values, 'stop-id', undefined),
  };
  checkOutputFiles([{ name: '--output', path: output }], fileFlags(GENERATE_FLAGS, values, 'input'));
  await initBackend(backendFlag(values));
  const weights = await readStateDictFlags(values);
  checkOutputFiles([{ name: '--output', path: output }], weightFiles(weights.sources));
  checkFiniteWeights(weights);
  const spec = readModelSpecFile(requiredString(values, 'model'));
  const prompt = readIntegerArray(requiredString(values, 'prompt'), 'prompt', ID_DTYPES);
  if (prompt.shape.length !== 1 && prompt.shape.length !== 2) {
    throw new FormatError(prompt.name, 'a [P] or [batch, P] array of token ids', formatShape(prompt.shape));
  }
  const model = new ManualWholeModel(spec, stripWrapperPrefixes(weights.tensors).stateDict);
  let tokens: Int32Array;
  let shape: number[];
  try {
    const ids = tf.tensor(Int32Array.from(prompt.data), prompt.shape, 'int32');
    try {
      const generated = generate(model, ids, options);
      shape = generated.shape;
      tokens = generated.dataSync() as Int32Array;
      generated.dispose();
    } catch (error) {
      if (error instanceof ArgumentError && /^input\[/.test(error.argument)) throw new FormatError(`${prompt.name}: ${error.argument.replace(/^input/, 'prompt')}`, error.expected, error.actual);
      throw error;
    } finally {
      ids.dispose();
    }
  } finally {
    model.dispose();
  }
  await writeFileAtomic(output, serializeNpy(shape, tokens, 'int64'));
  io.stderr.write(`${shape[0]} prompt${shape[0] === 1 ? '' : 's'}, ${shape[1]} new tokens each -> ${output}\n`);
  return EXIT_OK;
}
