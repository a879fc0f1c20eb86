import * as tf from '@tensorflow/tfjs-core';
import { FullRNNConfig, numDirections, outputSize } from '../config';
import { ArgumentError, ShapeError, describeValue, formatShape } from '../errors';
import { SequenceLayout, checkTensor } from './sequence';

/**
 * The states a model carries, as a forward call takes them: `h0` for an RNN or a GRU,
 * `[h0, c0]` for an LSTM (PyTorch's `(h_0, c_0)`).
 */
export type InitialState = tf.Tensor | [tf.Tensor, tf.Tensor];

/** One carried state: its name in a call (`h0`, `c0`) and its feature axis in PyTorch's symbols. */
interface StateKind {
  name: string;
  features: (config: FullRNNConfig) => { size: number; symbol: string };
}

const HIDDEN: StateKind = {
  name: 'h0',
  features: (config) => ({ size: outputSize(config), symbol: config.projSize > 0 ? 'projSize' : 'hiddenSize' }),
};
const CELL: StateKind = { name: 'c0', features: (config) => ({ size: config.hiddenSize, symbol: 'hiddenSize' }) };

/** The states of a mode, h first. */
function stateKinds(config: FullRNNConfig): StateKind[] {
  return config.mode === 'LSTM' ? [HIDDEN, CELL] : [HIDDEN];
}

/** `[D·numLayers, N, F]`, or `[D·numLayers, F]` unbatched, for a state of F features. */
function shapeOf(config: FullRNNConfig, layout: SequenceLayout, features: number): number[] {
  const stateCount = numDirections(config) * config.numLayers;
  return layout.batched ? [stateCount, layout.batchSize, features] : [stateCount, features];
}

/**
 * The shapes `h0`/`hN` (and `c0`/`cN`) have: `[D·numLayers, N, H_out]` (`[D·numLayers, N, H]`
 * for c), without N when unbatched.
 */
export function stateShapes(config: FullRNNConfig, layout: SequenceLayout): number[][] {
  return stateKinds(config).map((kind) => shapeOf(config, layout, kind.features(config).size));
}

/** The shape of `h0` and `hN`. */
export function stateShape(config: FullRNNConfig, layout: SequenceLayout): number[] {
  return stateShapes(config, layout)[0];
}

/**
 * Checks an optional initial state against the input's layout before any work.
 * @returns one tensor per carried state (h, and c for an LSTM), or undefined when absent.
 */
export function checkInitialStates(config: FullRNNConfig, layout: SequenceLayout, hx: unknown): tf.Tensor[] | undefined {
  if (hx === undefined || hx === null) return undefined;
  const kinds = stateKinds(config);
  let states: unknown[] = [hx];
  if (kinds.length > 1) {
    if (!Array.isArray(hx) || hx.length !== kinds.length) {
      throw new ArgumentError('hx', `a pair [h0, c0] of tf.Tensors (nn.LSTM's (h_0, c_0))`, describeValue(hx));
    }
    states = hx;
  } else if (Array.isArray(hx) && hx.some((state) => state instanceof tf.Tensor)) {
    throw new ArgumentError('hx', `one tf.Tensor h0 (a ${config.mode} takes only h0; [h0, c0] is an LSTM's)`, describeValue(hx));
  }
  return kinds.map((kind, index) => {
    const tensor = checkTensor(kind.name, states[index]);
    const { size, symbol } = kind.features(config);
    const expected = shapeOf(config, layout, size);
    if (!tf.util.arraysEqual(tensor.shape, expected)) {
      const symbols = layout.batched ? `[D·numLayers, batch, ${symbol}]` : `[D·numLayers, ${symbol}] (unbatched)`;
      throw new ShapeError(kind.name, `${formatShape(expected)} ${symbols}`, formatShape(tensor.shape));
    }
    return tensor;
  });
}

/** The initial states as `[D·numLayers, N, F]` each: zeros when absent, a batch of one when unbatched. */
export function batchedInitialStates(config: FullRNNConfig, layout: SequenceLayout, states: tf.Tensor[] | undefined): tf.Tensor3D[] {
  if (states === undefined) {
    return stateShapes(config, { ...layout, batched: true }).map((shape) => tf.zeros(shape as [number, number, number]));
  }
  return states.map((state) => (layout.batched ? (state as tf.Tensor3D) : tf.expandDims<tf.Tensor3D>(state, 1)));
}

/**
 * `[S, N, F]` as S states `[N, F]`, as `tf.unstack` would; for S = 1 it squeezes instead,
 * because tfjs's Unpack gradient gets a lone tensor there where it expects a list.
 */
export function unstackStates(states: tf.Tensor3D): tf.Tensor2D[] {
  return states.shape[0] === 1 ? [tf.squeeze<tf.Tensor2D>(states, [0])] : (tf.unstack(states) as tf.Tensor2D[]);
}

/** A `[D·numLayers, N, F]` final state in the caller's layout. */
export function finalState(layout: SequenceLayout, state: tf.Tensor3D): tf.Tensor {
  return layout.batched ? state : tf.squeeze(state, [1]);
}
