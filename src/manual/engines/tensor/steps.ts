import * as tf from '@tensorflow/tfjs-core';
import { Cell, StepWeights } from '../../cells';
import { readingOrder, splitSteps } from '../../tensorSteps';

/**
 * The tensor engine: a direction's states for every step from the cell's step as tf ops
 * (`Cell.step`, the reference every other engine is tested against), on any backend.
 * @param projection `[L, N, G·H]`. @param initial the states before the first step read, `[N, F]` each.
 * @returns each state after every step, `[L, N, F]`, in time order; with `lengths`, row b
 *   keeps its previous states at steps `t ≥ lengths[b]`.
 */
export function stepsAsOps(
  cell: Cell,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  weights: StepWeights,
  { reverse, lengths }: { reverse: boolean; lengths?: Int32Array },
): tf.Tensor3D[] {
  const seqLen = projection.shape[0];
  return tf.tidy(() => {
    const projectionSteps = splitSteps(projection);
    const validSteps = lengths && stepMasks(lengths, seqLen);
    const stateSteps: tf.Tensor2D[][] = initial.map(() => new Array(seqLen));
    let states = initial;
    for (const t of readingOrder(seqLen, reverse)) {
      const previous = states;
      states = tf.tidy(() => {
        const updated = cell.step(projectionSteps[t], previous, weights);
        const valid = validSteps?.[t];
        return valid === undefined ? updated : updated.map((state, i) => tf.where(valid, state, previous[i]));
      });
      projectionSteps[t].dispose();
      states.forEach((state, i) => (stateSteps[i][t] = state));
    }
    return stateSteps.map((steps) => tf.stack<tf.Tensor2D>(steps) as tf.Tensor3D);
  });
}

/**
 * Which rows update their states at each step, for `lengths` `[N]`: a bool `[N, 1]` where
 * some sequence has ended by step t, undefined where every sequence is still valid.
 */
export function stepMasks(lengths: Int32Array, seqLen: number): Array<tf.Tensor2D | undefined> {
  const shortest = Math.min(...lengths);
  return Array.from({ length: seqLen }, (_, t) =>
    t < shortest ? undefined : tf.tensor2d(Uint8Array.from(lengths, (length) => (length > t ? 1 : 0)), [lengths.length, 1], 'bool'),
  );
}
