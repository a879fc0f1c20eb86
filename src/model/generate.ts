import * as tf from '@tensorflow/tfjs';
import { ArgumentError, DtypeError, ModelSpecError, ShapeError, formatShape } from '../errors';
import { LAYER_TYPES } from './layers';
import { ManualWholeModel } from './model';

/** Options of `generate`. */
export interface GenerateOptions {
  /** New tokens per prompt. */
  steps: number;
  /** Sampling temperature: logits ÷ T before the softmax; 0 is greedy (argmax). @default 0 */
  temperature?: number;
  /** Sample among the k most likely tokens only (ties at the k-th logit kept); 0 for all. @default 0 */
  topK?: number;
  /** Seed of the sampler: the same seed gives the same tokens. @default 0 */
  seed?: number;
  /** A token that ends a sequence: once drawn, the rest of that sequence is this id. */
  stopId?: number;
}

/** Checks that `model` gives a distribution over its Embedding's vocabulary at every step, and streams. */
function checkLanguageModel(model: ManualWholeModel): number {
  const { spec, bound } = model;
  const vocabulary = bound[0].inputFeatures;
  const last = bound[bound.length - 1];
  if (spec.inputKind !== 'ids' || vocabulary === undefined) {
    throw new ModelSpecError('layers[0].type', "'Embedding' for generation (tokens are fed back)", `'${spec.layers[0].type}'`);
  }
  if (last.output.kind !== 'sequence' || last.output.features !== vocabulary) {
    throw new ModelSpecError(
      `layers[${bound.length - 1}]`,
      `a last layer giving ${vocabulary} values (the Embedding's vocabulary) at every step, for generation`,
      last.output.kind === 'sequence' ? `${last.output.features} values per step` : 'one vector per sequence',
    );
  }
  bound.forEach(({ layer }) => {
    if (LAYER_TYPES[layer.type].recurrent === true && Object.keys(model.bound[layer.index].parameters).some((key) => key.endsWith('_reverse'))) {
      throw new ModelSpecError(`layers[${layer.index}]`, 'a unidirectional recurrent layer for generation (a reverse direction reads the sequence from its end)', `${layer.label}, bidirectional`);
    }
  });
  return vocabulary;
}

function checkOptions(options: GenerateOptions, vocabulary: number): Required<Omit<GenerateOptions, 'stopId'>> & { stopId?: number } {
  const { steps, temperature = 0, topK = 0, seed = 0, stopId } = options ?? ({} as GenerateOptions);
  const integer = (name: string, value: unknown, min: number, max = Infinity) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ArgumentError(name, `an integer in [${min}, ${max === Infinity ? '∞' : max}]`, String(value));
    }
  };
  integer('steps', steps, 1);
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ArgumentError('temperature', 'a finite number ≥ 0 (0: greedy)', String(temperature));
  }
  integer('topK', topK, 0, vocabulary);
  integer('seed', seed, 0, 2 ** 32 - 1);
  if (stopId !== undefined) integer('stopId', stopId, 0, vocabulary - 1);
  return { steps, temperature, topK, seed, stopId };
}

/** Mulberry32: a small seeded generator of uniform numbers in [0, 1), the same on every platform. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The next token from one row of logits: the first index of the greatest logit when greedy
 * (PyTorch's `argmax`); else a draw from `softmax(logits / T)` over the `topK` greatest logits
 * (all when 0), computed in float64 on the host.
 */
function pick(logits: Float32Array, temperature: number, topK: number, uniform: () => number): number {
  let best = 0;
  for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
  if (temperature === 0) return best;
  const threshold = topK > 0 ? [...logits].sort((a, b) => b - a)[topK - 1] : -Infinity;
  const weights = Array.from(logits, (logit) => (logit >= threshold ? Math.exp((logit - logits[best]) / temperature) : 0));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let draw = uniform() * total;
  for (let v = 0; v < weights.length; v++) {
    draw -= weights[v];
    if (draw < 0 && weights[v] > 0) return v;
  }
  return best;
}

/**
 * Continues each prompt by `steps` tokens with a language model (an Embedding first, the
 * vocabulary's logits at every step last): the prompt runs once, then each new token is fed
 * back one step at a time on the model's stream (`ManualWholeModel.stream`: the recurrent
 * states carried, not recomputed). Greedy by default (argmax: PyTorch's tokens), or sampled
 * with `temperature`, `topK` and `seed`.
 * @param prompt token ids, int32 `[P]` or `[N, P]` (batch-major whatever the spec's layout).
 * @returns the new tokens, int32 `[N, steps]` (`[1, steps]` for a `[P]` prompt); owned by the caller.
 */
export function generate(model: ManualWholeModel, prompt: tf.Tensor, options: GenerateOptions): tf.Tensor2D {
  if (!(model instanceof ManualWholeModel)) throw new ArgumentError('model', 'a ManualWholeModel', model === null ? 'null' : typeof model);
  const vocabulary = checkLanguageModel(model);
  const { steps, temperature, topK, seed, stopId } = checkOptions(options, vocabulary);
  if (!(prompt instanceof tf.Tensor) || prompt.isDisposed) throw new ArgumentError('prompt', 'a live tf.Tensor of token ids', prompt === null ? 'null' : typeof prompt);
  if (prompt.dtype !== 'int32') throw new DtypeError('prompt', 'int32 token ids', prompt.dtype);
  if ((prompt.rank !== 1 && prompt.rank !== 2) || prompt.size === 0) throw new ShapeError('prompt', '[P] or [batch, P] token ids, P ≥ 1', formatShape(prompt.shape));
  const ids = prompt.rank === 1 ? prompt.reshape([1, -1]) : prompt;
  const batchSize = ids.shape[0];
  const tokens = new Int32Array(batchSize * steps);
  const stopped = new Array<boolean>(batchSize).fill(false);
  const uniform = seededUniform(seed);
  const stream = model.stream();
  try {
    let logits = lastStep(stream.push(ids), vocabulary);
    for (let step = 0; step < steps; step++) {
      const next = new Int32Array(batchSize);
      for (let n = 0; n < batchSize; n++) {
        const token = stopped[n] ? (stopId as number) : pick(logits.subarray(n * vocabulary, (n + 1) * vocabulary), temperature, topK, uniform);
        stopped[n] = stopped[n] || token === stopId;
        next[n] = token;
        tokens[n * steps + step] = token;
      }
      if (step === steps - 1 || stopped.every(Boolean)) {
        if (step < steps - 1) for (let n = 0; n < batchSize; n++) tokens.fill(stopId as number, n * steps + step + 1, (n + 1) * steps);
        break;
      }
      const input = tf.tensor2d(next, [batchSize, 1], 'int32');
      try {
        logits = lastStep(stream.push(input), vocabulary);
      } finally {
        input.dispose();
      }
    }
  } finally {
    stream.dispose();
    if (ids !== prompt) ids.dispose();
  }
  return tf.tensor2d(tokens, [batchSize, steps], 'int32');
}

/** The last step's logits `[N, V]` of an output `[N, T, V]`, copied to the host; the output is disposed. */
function lastStep(output: tf.Tensor, vocabulary: number): Float32Array {
  const [batchSize, seqLen] = output.shape as number[];
  const values = output.dataSync() as Float32Array;
  const last = new Float32Array(batchSize * vocabulary);
  for (let n = 0; n < batchSize; n++) last.set(values.subarray((n * seqLen + seqLen - 1) * vocabulary, (n * seqLen + seqLen) * vocabulary), n * vocabulary);
  output.dispose();
  return last;
}
