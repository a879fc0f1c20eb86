import { performance } from 'perf_hooks';
import { initBackend } from '../../backend';
import { ArgumentError, FormatError, formatShape } from '../../errors';
import { HostArray, serializeNpy, writeFileAtomic } from '../../formats';
import { stripWrapperPrefixes } from '../../formats/modules';
import { CheckedGenerateOptions, GenerateOptions, WholeModelLayers, checkGenerateOptions, generateIds, languageModelHead } from '../../generate';
import { bindModel } from '../../model';
import { checkIds } from '../../model/input';
import { FlagValues, UsageError, backendFlag, optionalString, parseFlags, requiredString } from '../flags';
import { CliIO, EXIT_OK } from '../io';
import { checkFiniteWeights, readModelSpecFile, readStateDictFlags } from '../modelFile';
import { checkOutputFiles, fileFlags, weightFiles } from '../outputPaths';
import { ID_DTYPES, extensionOf, readIntegerArray } from '../sequenceFile';

export const GENERATE_FLAGS = {
  weights: { type: 'string', file: 'input' },
  'weights-key': { type: 'string' },
  model: { type: 'string', file: 'input' },
  prompt: { type: 'string', file: 'input' },
  steps: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  seed: { type: 'string' },
  'stop-id': { type: 'string' },
  output: { type: 'string', file: 'output' },
  backend: { type: 'string' },
} as const;

/** The flag of each option of `generate`. */
const OPTION_FLAGS: Record<keyof GenerateOptions, string> = { steps: 'steps', temperature: 'temperature', topK: 'top-k', seed: 'seed', stopId: 'stop-id' };

/** The options as numbers (a `UsageError` naming the flag for text that is not one); their ranges are checked once V is known. */
function numericOptions(values: FlagValues): Record<string, number> {
  requiredString(values, 'steps');
  const options: Record<string, number> = {};
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    const text = optionalString(values, flag);
    if (text === undefined) continue;
    const number = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(number)) throw new UsageError(`--${flag}`, 'a number', `'${text}'`);
    options[option] = number;
  }
  return options;
}

/** `checkGenerateOptions`, its errors naming the flag (`--top-k`) instead of the option. */
function checkOptionFlags(options: Record<string, number>, vocabulary: number): CheckedGenerateOptions {
  try {
    return checkGenerateOptions(options, vocabulary);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    const flag = OPTION_FLAGS[error.argument as keyof GenerateOptions];
    throw new UsageError(`--${flag ?? error.argument}`, error.expected, error.actual.replace(/ \(number\)$/, ''));
  }
}

/** The spec bound to the weights, checked to be a language model; errors name the spec file. */
function languageModelOf(specPath: string, tensors: Record<string, HostArray>): WholeModelLayers {
  const spec = readModelSpecFile(specPath);
  const model = { spec, bound: bindModel(spec, stripWrapperPrefixes(tensors).stateDict) };
  try {
    languageModelHead(model);
  } catch (error) {
    if (error instanceof ArgumentError) throw new FormatError(`${specPath}: ${error.argument}`, error.expected, error.actual);
    throw error;
  }
  return model;
}

/**
 * `tfjs-rnn generate`: the continuation of each prompt of --prompt (`[P]` or `[N, P]` token
 * ids) by the language model --model over --weights, `steps` new ids per prompt, greedy or
 * sampled, written to --output as int64 `.npy` (`[N, steps]`, `[1, steps]` for `[P]`) through a temp file
 * renamed at the end. Everything is checked before the first token.
 */
export async function generateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, GENERATE_FLAGS);
  const output = requiredString(values, 'output');
  extensionOf(output, ['.npy']);
  const specPath = requiredString(values, 'model');
  const promptPath = requiredString(values, 'prompt');
  const options = numericOptions(values);
  const outputs = [{ name: '--output', path: output }];
  checkOutputFiles(outputs, fileFlags(GENERATE_FLAGS, values, 'input'));
  await initBackend(backendFlag(values));
  const weights = await readStateDictFlags(values);
  checkOutputFiles(outputs, weightFiles(weights.sources));
  checkFiniteWeights(weights);
  const model = languageModelOf(specPath, weights.tensors);
  const vocabulary = model.bound[0].inputFeatures as number;
  const checked = checkOptionFlags(options, vocabulary);
  const prompt = readIntegerArray(promptPath, 'prompt', ID_DTYPES);
  if ((prompt.shape.length !== 1 && prompt.shape.length !== 2) || prompt.data.length === 0) {
    throw new FormatError(prompt.name, 'token ids [P] or [N, P] with N, P ≥ 1', formatShape(prompt.shape));
  }
  checkIds(prompt.data, prompt.shape, vocabulary, prompt.name);
  const batchSize = prompt.shape.length === 2 ? prompt.shape[0] : 1;
  const started = performance.now();
  const tokens = generateIds(model, Int32Array.from(prompt.data), batchSize, checked);
  const seconds = (performance.now() - started) / 1000;
  const shape = [batchSize, checked.steps];
  await writeFileAtomic(output, serializeNpy(shape, tokens, 'int64'));
  const rate = (batchSize * checked.steps) / Math.max(seconds, 1e-9);
  io.stderr.write(`${batchSize} prompt${batchSize === 1 ? '' : 's'} × ${checked.steps} tokens in ${seconds.toFixed(3)} s (${Math.round(rate)} tokens/s) -> ${output} ${formatShape(shape)} int64\n`);
  return EXIT_OK;
}
