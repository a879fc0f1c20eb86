import { uniformAt } from './philox';

/** How the next token is chosen from a row of logits. */
export interface TokenChoice {
  /** Sampling from `softmax(z / temperature)`; undefined: greedy (the argmax). */
  temperature?: number;
  /** Sampling among the `topK` largest logits only (ties: the lower ids first). */
  topK?: number;
  /** The generator's seed (`uniformAt`); sampling only. */
  seed: number;
}

/** The first index of the largest value, as `torch.argmax` picks among equal maxima. */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The `k` ids kept by top-k: the `k` largest logits, equal logits taken in the order of
 * their ids, returned in id order. `k` in `[1, V]`.
 */
export function topKIds(logits: Float32Array, k: number): number[] {
  if (k >= logits.length) return Array.from(logits, (_, id) => id);
  const threshold = Float32Array.from(logits).sort()[logits.length - k];
  let above = 0;
  for (const value of logits) if (value > threshold) above++;
  let tied = k - above;
  const kept: number[] = [];
  logits.forEach((value, id) => {
    if (value > threshold) kept.push(id);
    else if (value === threshold && tied > 0) {
      kept.push(id);
      tied--;
    }
  });
  return kept;
}

/**
 * The next token of one row from its logits `z` `[V]`: greedy, the first argmax; sampled,
 * the id `i` drawn with probability `exp((z_i − max z) / T) / Σ_j exp((z_j − max z) / T)` over
 * the kept ids (all, or the top-k), by inverse transform in id order of one uniform
 * `u = uniformAt(seed, row, step)`: the first id whose cumulative weight exceeds `u · Σ`
 * (weights and sums in float64).
 */
export function chooseToken(logits: Float32Array, choice: TokenChoice, row: number, step: number): number {
  if (choice.temperature === undefined && choice.topK === undefined) return argmax(logits);
  const temperature = choice.temperature ?? 1;
  const ids = topKIds(logits, choice.topK ?? logits.length);
  if (ids.length === 1) return ids[0];
  let largest = -Infinity;
  for (const id of ids) largest = Math.max(largest, logits[id]);
  const weights = ids.map((id) => Math.exp((logits[id] - largest) / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const target = uniformAt(choice.seed, row, step) * total;
  let cumulative = 0;
  for (let i = 0; i < ids.length; i++) {
    cumulative += weights[i];
    if (cumulative > target) return ids[i];
  }
  // Rounding can leave Σ of the prefix a hair under u·Σ: the last id with weight.
  for (let i = ids.length - 1; i >= 0; i--) if (weights[i] > 0) return ids[i];
  return ids[0];
}
