import * as tf from '@tensorflow/tfjs';
import { Nonlinearity } from '../config';
import { StepLoop, recurOnHost, runsOnHost } from './hostLoop';
import { readingOrder, splitSteps } from './hostSteps';
import { transposedProduct } from './transposedProduct';
import { statesOnWasm, wasmKernels } from './wasmSteps';

/** d h_t / d a_t for every step, from the states alone: `1 − h²` (tanh) or `h > 0` (relu). */
function activationSlope(nonlinearity: Nonlinearity, states: tf.Tensor3D): tf.Tensor3D {
  return nonlinearity === 'tanh' ? tf.sub(1, tf.square(states)) : tf.step(states);
}

/** How `recur` runs one direction. */
export interface RecurOptions {
  nonlinearity: Nonlinearity;
  /** Read from the last step to the first. */
  reverse: boolean;
  /**
   * `[N]`, each in `[1, L]`: sequence b only updates its state at steps `t < lengths[b]`
   * and keeps it elsewhere, so the forward direction carries its last valid state to the
   * end and the reverse direction holds `h0` until it reaches its last valid step.
   * Absent: every step is valid, and no step does more than the unmasked recurrence.
   */
  lengths?: Int32Array;
  /** Steps on host arrays or as tf ops (`auto`: host arrays for small steps). */
  loop: StepLoop;
}

/**
 * One direction of one layer over the whole sequence:
 * `h_t = act(xProj_t + h_{t−1} W_hhᵀ)`, read from the last step to the first when `reverse`.
 *
 * @param inputProjection `[L, N, H]`: `x_t W_ihᵀ + b_ih + b_hh` for every step.
 * @param h0 `[N, H]`: the state before the first step read.
 * @param weightHhT `[H, H]`: `W_hhᵀ`.
 * @returns `[L, N, H]`: `h_t` for every step, in time order (kept states at padded steps).
 *
 * The forward pass runs where it is fastest (`runsOnHost`): on wasm by calling its kernels
 * directly (`wasmSteps.ts`), elsewhere on host arrays (`hostLoop.ts`) or as tf ops, one
 * `matMul` per step. The gradient is hand-written backpropagation through time, one
 * `matMul` per step, reading each sequence tensor from the backend once.
 */
export function recur(
  inputProjection: tf.Tensor3D,
  h0: tf.Tensor2D,
  weightHhT: tf.Tensor2D,
  options: RecurOptions,
): tf.Tensor3D {
  const { nonlinearity, reverse, lengths, loop } = options;
  const [seqLen, batchSize, hiddenSize] = inputProjection.shape;
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [projection, initial, recurrentT, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const kernels = wasmKernels();
    const backendSteps = kernels ? 'wasm kernels' : tf.getBackend() === 'cpu' ? 'cpu ops' : 'tf ops';
    const states = runsOnHost(loop, batchSize, hiddenSize, backendSteps)
      ? statesOnHost(projection, initial, recurrentT, options)
      : kernels
        ? statesOnWasm(kernels, projection, initial, recurrentT, options)
        : statesAsOps(projection, initial, recurrentT, options);
    save([states, initial, recurrentT]);
    const gradFunc = (dStates: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedStates, savedInitial, savedRecurrentT] = saved as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D];
      const validSteps = lengths && stepMasks(lengths, seqLen, savedInitial.shape);
      return backpropagate(dStates as tf.Tensor3D, savedStates, savedInitial, savedRecurrentT, nonlinearity, reverse, validSteps);
    };
    return { value: states, gradFunc };
  });
  return run(inputProjection, h0, weightHhT) as tf.Tensor3D;
}

/** `recur`'s states from one tf op per step (a `matMul`, an `add`, the activation). */
function statesAsOps(
  projection: tf.Tensor3D,
  initial: tf.Tensor2D,
  recurrentT: tf.Tensor2D,
  { nonlinearity, reverse, lengths }: RecurOptions,
): tf.Tensor3D {
  const seqLen = projection.shape[0];
  const activation: (z: tf.Tensor2D) => tf.Tensor2D = nonlinearity === 'tanh' ? tf.tanh : tf.relu;
  return tf.tidy(() => {
    const projectionSteps = splitSteps(projection);
    const validSteps = lengths && stepMasks(lengths, seqLen, initial.shape);
    const stateSteps: tf.Tensor2D[] = new Array(seqLen);
    let state = initial;
    for (const t of readingOrder(seqLen, reverse)) {
      const previous = state;
      state = tf.tidy(() => {
        const updated = activation(tf.add(projectionSteps[t], tf.matMul(previous, recurrentT)));
        const valid = validSteps?.[t];
        return valid === undefined ? updated : tf.where(valid, updated, previous);
      });
      projectionSteps[t].dispose();
      stateSteps[t] = state;
    }
    return tf.stack<tf.Tensor2D>(stateSteps) as tf.Tensor3D;
  });
}

/** `recur`'s states from the host loop: one read of each input, one tensor out. */
function statesOnHost(
  projection: tf.Tensor3D,
  initial: tf.Tensor2D,
  recurrentT: tf.Tensor2D,
  { nonlinearity, reverse, lengths }: RecurOptions,
): tf.Tensor3D {
  const [seqLen, batchSize, hiddenSize] = projection.shape;
  const states = recurOnHost(
    projection.dataSync() as Float32Array,
    initial.dataSync() as Float32Array,
    recurrentT.dataSync() as Float32Array,
    { seqLen, batchSize, hiddenSize },
    nonlinearity,
    reverse,
    lengths,
  );
  return tf.tensor3d(states, [seqLen, batchSize, hiddenSize]);
}

/**
 * Which rows update their state at each step, for `lengths` `[N]`: a bool `[N, H]` where
 * some sequence has ended by step t, undefined where every sequence is still valid.
 */
function stepMasks(lengths: Int32Array, seqLen: number, [batchSize, hiddenSize]: number[]): Array<tf.Tensor2D | undefined> {
  const shortest = Math.min(...lengths);
  return Array.from({ length: seqLen }, (_, t) => {
    if (t < shortest) return undefined;
    const valid = new Uint8Array(batchSize * hiddenSize);
    lengths.forEach((length, b) => valid.fill(length > t ? 1 : 0, b * hiddenSize, (b + 1) * hiddenSize));
    return tf.tensor2d(valid, [batchSize, hiddenSize], 'bool');
  });
}

/**
 * Backpropagation through time for `recur`, given `dStates` `[L, N, H]`. With `validSteps`
 * (from `stepMasks`), a row that keeps its state at step t passes its gradient straight
 * to the step read before and gets none for that step's projection.
 * @returns gradients of the input projection `[L, N, H]`, of `h0` `[N, H]` and of `W_hhᵀ` `[H, H]`.
 */
function backpropagate(
  dStates: tf.Tensor3D,
  states: tf.Tensor3D,
  h0: tf.Tensor2D,
  weightHhT: tf.Tensor2D,
  nonlinearity: Nonlinearity,
  reverse: boolean,
  validSteps?: Array<tf.Tensor2D | undefined>,
): tf.Tensor[] {
  const [seqLen, batchSize, hiddenSize] = states.shape;
  const weightHh = tf.transpose<tf.Tensor2D>(weightHhT);
  const slopeSteps = splitSteps(activationSlope(nonlinearity, states));
  const stateSteps = splitSteps(states);
  const dStateSteps = splitSteps(dStates);
  const dPreSteps: tf.Tensor2D[] = new Array(seqLen);
  const previousSteps: tf.Tensor2D[] = new Array(seqLen);
  const noGradient = validSteps && tf.zerosLike(h0);
  let dCarry: tf.Tensor2D | undefined;
  let previous: tf.Tensor2D = h0;
  for (const t of readingOrder(seqLen, reverse)) {
    previousSteps[t] = previous;
    previous = stateSteps[t];
  }
  for (const t of readingOrder(seqLen, !reverse)) {
    const dState = dCarry === undefined ? dStateSteps[t] : tf.add<tf.Tensor2D>(dStateSteps[t], dCarry);
    const dPre = tf.mul<tf.Tensor2D>(dState, slopeSteps[t]);
    const valid = validSteps?.[t];
    dPreSteps[t] = valid === undefined ? dPre : tf.where(valid, dPre, noGradient as tf.Tensor2D);
    const dPrevious = tf.matMul<tf.Tensor2D>(dPreSteps[t], weightHh);
    dCarry = valid === undefined ? dPrevious : tf.where(valid, dPrevious, dState);
  }
  const dProjection = tf.stack<tf.Tensor2D>(dPreSteps) as tf.Tensor3D;
  const flatPrevious = tf.reshape(tf.stack<tf.Tensor2D>(previousSteps), [seqLen * batchSize, hiddenSize]) as tf.Tensor2D;
  const flatDPre = tf.reshape(dProjection, [seqLen * batchSize, hiddenSize]) as tf.Tensor2D;
  const dWeightHhT = transposedProduct(flatPrevious, flatDPre);
  return [dProjection, dCarry as tf.Tensor2D, dWeightHhT];
}
