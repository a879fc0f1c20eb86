import * as tf from '@tensorflow/tfjs-core';
import { readSync } from '../backend/capabilities';
import { Cell, StepWeights } from './cells';
import { CellEngines } from './engines';
import { readValues, tensorOfValues } from './engines/host';
import { stepMasks, stepsAsOps } from './engines/tensor/steps';
import { WasmKernels } from './engines/wasm';
import { Engine } from './plan';
import { readingOrder, splitSteps } from './tensorSteps';
import { transposedMatMul } from './transposedMatMul';

/** How `recur` runs one direction. */
export interface RecurOptions {
  /** Read from the last step to the first. */
  reverse: boolean;
  /**
   * `[N]`, each in `[1, L]`: sequence b only updates its states at steps `t < lengths[b]`
   * and keeps them elsewhere, so the forward direction carries its last valid states to the
   * end and the reverse direction holds its initial states until it reaches its last valid
   * step. Absent: every step is valid, and no step does more than the unmasked recurrence.
   */
  lengths?: Int32Array;
  /** The engine of the steps, from the call's plan (`planForward`). */
  engine: Engine;
  /** wasm's kernels, for the `'wasm'` engine. */
  kernels?: WasmKernels;
}

/** The tensors of `StepWeights` that are present, in its order (gradients come back in it). */
function weightList({ recurrentT, hiddenBias, projectionT }: StepWeights): tf.Tensor[] {
  return [recurrentT, ...(hiddenBias ? [hiddenBias] : []), ...(projectionT ? [projectionT] : [])];
}

/** `weightList` read back. */
function weightsOf(list: tf.Tensor[], like: StepWeights): StepWeights {
  const [recurrentT, ...rest] = list;
  return {
    recurrentT: recurrentT as tf.Tensor2D,
    hiddenBias: like.hiddenBias && (rest.shift() as tf.Tensor1D),
    projectionT: like.projectionT && (rest.shift() as tf.Tensor2D),
  };
}

/**
 * One direction of one layer over the whole sequence, for any cell: each step reads
 * `p_t` and the states of the step read before, from the last step to the first when
 * `reverse`.
 *
 * @param projection `[L, N, G·H]`: `x_t W_ihᵀ + projection bias` for every step.
 * @param initial the states before the first step read: `[N, H_out]` (and `[N, H]`).
 * @returns every state after every step, `[L, N, F]` each, in time order (kept states at
 *   padded steps).
 *
 * The forward pass runs on the plan's engine (`options.engine`): host arrays, wasm's kernels
 * called directly, or one set of tf ops per step (`engines/`). The gradient is hand-written backpropagation through time, the same whichever ran: one
 * `matMul` per step for `d h_{t−1}`, the rest of the cell's maths over the whole sequence
 * at once where it does not depend on the step after. Without a gradient tape (inference)
 * the states come straight from the forward pass: through `customGrad` several states
 * travel as one tensor, a concat and a split of every state (10% of an LSTM's call at
 * (256, 50, 128, 256) on wasm).
 */
export function recur(
  engines: CellEngines,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  weights: StepWeights,
  options: RecurOptions,
): tf.Tensor3D[] {
  if (!tf.engine().isTapeOn()) return forwardStates(engines, projection, initial, weights, options);
  const { cell } = engines;
  const stateCount = initial.length;
  const sizes = initial.map((state) => state.shape[1]);
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [inputProjection, ...rest] = args as tf.Tensor[];
    const initialStates = rest.slice(0, stateCount) as tf.Tensor2D[];
    const stepWeights = weightsOf(rest.slice(stateCount), weights);
    const states = forwardStates(engines, inputProjection as tf.Tensor3D, initialStates, stepWeights, options);
    // customGrad has one output: several states travel concatenated along their features.
    const value = states.length === 1 ? states[0] : tf.concat(states, 2);
    save([inputProjection, ...initialStates, ...weightList(stepWeights), value]);
    if (states.length > 1) tf.dispose(states);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [savedProjection, ...savedRest] = saved;
      const savedStates = savedRest.pop() as tf.Tensor3D;
      return backpropagate(cell, {
        projection: savedProjection as tf.Tensor3D,
        initial: savedRest.slice(0, stateCount) as tf.Tensor2D[],
        weights: weightsOf(savedRest.slice(stateCount), weights),
        states: splitStates(savedStates, sizes),
        dStates: splitStates(dy as tf.Tensor3D, sizes),
      }, options);
    };
    return { value, gradFunc };
  });
  const value = run(projection, ...initial, ...weightList(weights)) as tf.Tensor3D;
  return splitStates(value, sizes);
}

/** `[L, N, ΣF]` as one `[L, N, F]` per state (itself for one state). */
function splitStates(value: tf.Tensor3D, sizes: number[]): tf.Tensor3D[] {
  return sizes.length === 1 ? [value] : tf.split(value, sizes, 2);
}

/** The states of every step, on the plan's engine (see `recur`). */
function forwardStates(
  engines: CellEngines,
  projection: tf.Tensor3D,
  initial: tf.Tensor2D[],
  weights: StepWeights,
  { reverse, lengths, engine, kernels }: RecurOptions,
): tf.Tensor3D[] {
  if (engine === 'wasm') return engines.wasm(kernels!, projection, initial, weights, { reverse, lengths });
  if (engine === 'tensor') return stepsAsOps(engines.cell, projection, initial, weights, { reverse, lengths });
  const [seqLen, batchSize] = projection.shape;
  const read = (tensor: tf.Tensor) => readSync(tensor, 'the host engine') as Float32Array;
  const sizes = initial.map((state) => state.shape[1]);
  const steps = engines.host(
    { recurrentT: read(weights.recurrentT), projectionT: weights.projectionT && read(weights.projectionT), hiddenBias: weights.hiddenBias && read(weights.hiddenBias) },
    sizes[0],
  );
  try {
    steps.reserve(seqLen, batchSize);
    steps.setStates(batchSize, initial.map(read));
    steps.setProjection(readValues(projection, 'the host engine'), seqLen * batchSize);
    steps.run(seqLen, batchSize, reverse, lengths, sizes.length > 1);
    const sequences = [steps.hiddenSequence(), steps.cellSequence()];
    // The views are the kernels' memory, which the next user overwrites: the tensors get copies.
    return sizes.map((size, i) => tensorOfValues(sequences[i], [seqLen, batchSize, size]) as tf.Tensor3D);
  } finally {
    steps.release();
  }
}

/** What `backpropagate` reads: the saved forward pass and the gradient of its states. */
interface Backward {
  projection: tf.Tensor3D;
  initial: tf.Tensor2D[];
  weights: StepWeights;
  /** Each state after every step, `[L, N, F]`. */
  states: tf.Tensor3D[];
  /** d loss / d each state, `[L, N, F]`. */
  dStates: tf.Tensor3D[];
}

/**
 * Backpropagation through time for `recur`. A row that keeps its states at step t (with
 * `lengths`) passes their gradients straight to the step read before and gets none for that
 * step's projection.
 * @returns gradients of the projection `[L, N, G·H]`, of each initial state, and of the
 *   weights in `StepWeights` order.
 */
function backpropagate(
  cell: Cell,
  { projection, initial, weights, states, dStates }: Backward,
  { reverse, lengths }: RecurOptions,
): tf.Tensor[] {
  const [seqLen, batchSize] = projection.shape;
  const stateSteps = states.map(splitSteps);
  const previousSteps = initial.map((state, i) => {
    const steps: tf.Tensor2D[] = new Array(seqLen);
    let previous = state;
    for (const t of readingOrder(seqLen, reverse)) {
      steps[t] = previous;
      previous = stateSteps[i][t];
    }
    return steps;
  });
  const previous = previousSteps.map((steps) => tf.stack<tf.Tensor2D>(steps) as tf.Tensor3D);
  const cellBackward = cell.backward({ projection, states, previous, weights });
  const tapeSteps = cellBackward.tape.map((factors) => splitSteps(factors as tf.Tensor3D));
  const dStateSteps = dStates.map(splitSteps);
  const weightHh = tf.transpose<tf.Tensor2D>(weights.recurrentT);
  const validSteps = lengths && stepMasks(lengths, seqLen);
  const dProjectionSteps: tf.Tensor2D[] = new Array(seqLen);
  const dRecurrentSteps: tf.Tensor2D[] = new Array(seqLen);
  const dHiddenSteps: tf.Tensor2D[] = new Array(seqLen);
  let carry: tf.Tensor2D[] | undefined;
  for (const t of readingOrder(seqLen, !reverse)) {
    const dIn = dStateSteps.map((steps, i) => (carry === undefined ? steps[t] : tf.add<tf.Tensor2D>(steps[t], carry[i])));
    const { dProjection, dRecurrent, dPrevious } = cellBackward.step(dIn, tapeSteps.map((steps) => steps[t]));
    const valid = validSteps?.[t];
    const validOnly = (gradient: tf.Tensor2D) => (valid === undefined ? gradient : tf.where(valid, gradient, 0));
    dProjectionSteps[t] = validOnly(dProjection);
    dRecurrentSteps[t] = dRecurrent === dProjection ? dProjectionSteps[t] : validOnly(dRecurrent);
    dHiddenSteps[t] = dIn[0];
    const throughHh = tf.matMul<tf.Tensor2D>(dRecurrentSteps[t], weightHh);
    carry = dPrevious.map((direct, i) => {
      const dState = i > 0 ? (direct ?? tf.zerosLike(dIn[i])) : direct === undefined ? throughHh : tf.add<tf.Tensor2D>(direct, throughHh);
      return valid === undefined ? dState : tf.where(valid, dState, dIn[i]);
    });
  }
  const rows = seqLen * batchSize;
  const flat = (steps: tf.Tensor2D[]) => tf.reshape<tf.Rank.R2>(tf.stack(steps), [rows, steps[0].shape[1]]);
  const dProjection = tf.stack<tf.Tensor2D>(dProjectionSteps) as tf.Tensor3D;
  const dRecurrent = dRecurrentSteps[0] === dProjectionSteps[0] ? tf.reshape<tf.Rank.R2>(dProjection, [rows, -1]) : flat(dRecurrentSteps);
  const dRecurrentT = transposedMatMul(tf.reshape<tf.Rank.R2>(previous[0], [rows, -1]), dRecurrent);
  return [
    dProjection,
    ...(carry as tf.Tensor2D[]),
    dRecurrentT,
    ...cellBackward.weightGradients(dRecurrent, () =>
      flat(dHiddenSteps.map((dHidden, t) => (validSteps?.[t] === undefined ? dHidden : tf.where(validSteps[t]!, dHidden, 0)))),
    ),
  ];
}
