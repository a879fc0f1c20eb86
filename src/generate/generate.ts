import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DtypeError, ShapeError, formatShape } from '../errors';
import { isPlainObject } from '../formats/isPlainObject';
import { checkIds } from '../model/input';
import { LanguageModelSteps, WholeModelLayers, languageModelHead } from './languageModel';
import { TokenChoice, chooseToken } from './sampling';

/** Options of `generate`. */
export interface GenerateOptions {
  /** New tokens per prompt, a positive integer. */
  steps: number;
  /** Samples from `softmax(logits / temperature)` when > 0; 0 is greedy (the argmax). @default 0 */
  temperature?: number;
  /** Samples among the `topK` largest logits only (an integer in `[0, V]`; 0: all V; 1 is greedy). @default 0 */
  topK?: number;
  /** Seed of the sampling generator (Philox4x32-10), an integer in `[0, 2⁵³)`; greedy decoding draws nothing. @default 0 */
  seed?: number;
  /** An id in `[0, V)`: a row that emits it emits it again at every later step. @default none */
  stopId?: number;
}

/** Checked options: sampling settings, steps and stop id. */
export interface CheckedGenerateOptions {
  steps: number;
  choice: TokenChoice;
  stopId?: number;
}

const OPTION_KEYS = ['steps', 'temperature', 'topK', 'seed', 'stopId'];

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (string)`;
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${String(value)} (${typeof value})`;
}

function isIntegerIn(value: unknown, low: number, high: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= low && value < high;
}

/** Checks `generate`'s options for a vocabulary of V ids, before any work; an `ArgumentError` naming the option. */
export function checkGenerateOptions(options: unknown, vocabulary: number): CheckedGenerateOptions {
  if (!isPlainObject(options)) throw new ArgumentError('options', 'an object { steps, temperature?, topK?, seed?, stopId? }', describe(options));
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new ArgumentError(`options.${key}`, `only the options ${OPTION_KEYS.join(', ')}`, describe(options[key]));
  }
  const { steps, temperature, topK, seed, stopId } = options;
  if (!isIntegerIn(steps, 1, 2 ** 32)) throw new ArgumentError('steps', 'a positive integer (new tokens per prompt)', describe(steps));
  if (temperature !== undefined && !(typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0)) {
    throw new ArgumentError('temperature', 'a finite number ≥ 0 (0: greedy)', describe(temperature));
  }
  if (topK !== undefined && !isIntegerIn(topK, 0, vocabulary + 1)) throw new ArgumentError('topK', `an integer in [0, ${vocabulary}] (0: the whole vocabulary)`, describe(topK));
  if (seed !== undefined && !isIntegerIn(seed, 0, Number.MAX_SAFE_INTEGER + 1)) throw new ArgumentError('seed', 'an integer in [0, 2^53)', describe(seed));
  if (stopId !== undefined && !isIntegerIn(stopId, 0, vocabulary)) throw new ArgumentError('stopId', `a token id in [0, ${vocabulary})`, describe(stopId));
  // Greedy unless a temperature > 0 or a top-k > 0 is given; a top-k alone samples at temperature 1.
  const choice: TokenChoice = { seed: seed ?? 0, ...(temperature !== undefined && temperature > 0 && { temperature }), ...(topK !== undefined && topK > 0 && { topK }) };
  return { steps, choice, ...(stopId !== undefined && { stopId }) };
}

/**
 * Continues prompts on the host: `ids` `[N, P]` (flat, batch-major, checked) → the `steps` new
 * ids of each row `[N, steps]` (flat). The prompts are consumed once, then one step per new
 * token from the recurrent layers' state; a token is the argmax of the last logits (greedy) or
 * drawn by `chooseToken` with the uniform of (seed, row, step). A row that emits `stopId` emits
 * it at every later step; when every row has stopped, the rest is filled without computing.
 */
export function generateIds(model: WholeModelLayers, ids: Int32Array, batchSize: number, options: CheckedGenerateOptions): Int32Array {
  const { steps, choice, stopId } = options;
  const language = new LanguageModelSteps(model);
  try {
    const vocabulary = language.vocabulary;
    const tokens = new Int32Array(batchSize * steps);
    const stopped = new Uint8Array(batchSize);
    let logits = language.prompt(ids, batchSize);
    for (let step = 0; step < steps; step++) {
      const next = new Int32Array(batchSize);
      for (let row = 0; row < batchSize; row++) {
        next[row] = stopped[row] === 1 ? (stopId as number) : chooseToken(logits.subarray(row * vocabulary, (row + 1) * vocabulary), choice, row, step);
        if (next[row] === stopId) stopped[row] = 1;
        tokens[row * steps + step] = next[row];
      }
      if (step === steps - 1) break;
      if (stopped.every((flag) => flag === 1)) {
        for (let row = 0; row < batchSize; row++) tokens.fill(stopId as number, row * steps + step + 1, (row + 1) * steps);
        break;
      }
      logits = language.next(next);
    }
    return tokens;
  } finally {
    language.dispose();
  }
}

/**
 * Text generation with a language model (a whole model whose output is a distribution over its
 * Embedding's vocabulary at every step, see `languageModelHead`), as PyTorch's loop
 * `logits, state = model(prompt); for _ in range(steps): token = logits[:, -1].argmax(-1);
 * logits, state = model(token[:, None], state)` computes it: greedy by default, or sampled with
 * `temperature` / `topK` from a seeded generator of the package's own (the same tokens for the
 * same seed on every backend and run; not `torch.multinomial`'s sequence).
 * @param prompt int32 token ids `[N, P]` (or `[P]`, a batch of one), whatever the spec's `batch_first`.
 * @returns int32 `[N, steps]` (`[1, steps]` for a prompt `[P]`): the new ids of each prompt; owned by the caller.
 */
export function generate(model: WholeModelLayers, prompt: tf.Tensor, options: GenerateOptions): tf.Tensor2D {
  if (typeof model !== 'object' || model === null || !Array.isArray(model.bound) || model.spec === undefined) {
    throw new ArgumentError('model', 'a ManualWholeModel or LayersWholeModel', describe(model));
  }
  languageModelHead(model);
  const vocabulary = model.bound[0].inputFeatures as number;
  const checked = checkGenerateOptions(options, vocabulary);
  if (!(prompt instanceof tf.Tensor)) throw new ArgumentError('prompt', 'a tf.Tensor of int32 token ids', describe(prompt));
  if (prompt.isDisposed) throw new ArgumentError('prompt', 'a live tf.Tensor', 'a disposed tensor');
  if (prompt.dtype !== 'int32') throw new DtypeError('prompt', 'int32 token ids', prompt.dtype);
  if ((prompt.rank !== 1 && prompt.rank !== 2) || prompt.size === 0) {
    throw new ShapeError('prompt', '[batch, P] or [P] token ids with batch, P ≥ 1', formatShape(prompt.shape));
  }
  const ids = prompt.dataSync() as Int32Array;
  checkIds(ids, prompt.shape, vocabulary, 'prompt');
  const batchSize = prompt.rank === 2 ? prompt.shape[0] : 1;
  const tokens = generateIds(model, ids, batchSize, checked);
  return tf.tensor2d(tokens, [batchSize, checked.steps], 'int32');
}
