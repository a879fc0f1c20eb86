import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DtypeError, ShapeError, formatShape } from '../errors';
import { unravelIndex } from '../formats/hostArray';
import { checkLengths } from '../shapes';
import { BoundLayer } from './layers';
import { CheckedModelSpec } from './spec';

/** A checked call: its sizes and lengths. */
export interface ModelCall {
  batchSize: number;
  seqLen: number;
  lengths?: Int32Array;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** `[batch, seq]` or `[seq, batch]`, with `features` appended when given. */
function layoutWords(batchFirst: boolean, last?: string): string {
  const axes = batchFirst ? ['batch', 'seq'] : ['seq', 'batch'];
  return formatShape(last === undefined ? axes : [...axes, last]);
}

/**
 * Checks a model's input before any work: token ids `[N, L]` (`[L, N]` time-major) int32, each
 * in `[0, V)`, when the first layer is an Embedding; else float32 features `[N, L, F]` (`[L, N, F]`),
 * F the first layer's. Lengths as a recurrence takes them (`checkLengths`).
 */
export function checkModelInput(spec: CheckedModelSpec, first: BoundLayer, input: unknown, lengths: unknown): ModelCall {
  if (!(input instanceof tf.Tensor)) throw new ArgumentError('input', 'a tf.Tensor', describeValue(input));
  if (input.isDisposed) throw new ArgumentError('input', 'a live tf.Tensor', 'a disposed tensor');
  const ids = spec.inputKind === 'ids';
  const expectedDtype = ids ? 'int32' : 'float32';
  if (input.dtype !== expectedDtype) {
    throw new DtypeError('input', ids ? `int32 token ids (${first.layer.label} comes first)` : 'float32 features', input.dtype);
  }
  const rank = ids ? 2 : 3;
  const features = first.inputFeatures;
  const pattern = layoutWords(spec.batchFirst, ids ? undefined : String(features ?? 'features'));
  const { shape } = input;
  if (shape.length !== rank || shape.some((size: number) => size === 0) || (!ids && features !== undefined && shape[2] !== features)) {
    throw new ShapeError('input', `${pattern} with seq, batch ≥ 1${spec.batchFirst ? ' (batch_first)' : ''}`, formatShape(shape));
  }
  const [batchSize, seqLen] = spec.batchFirst ? [shape[0], shape[1]] : [shape[1], shape[0]];
  if (ids) checkIds(input.dataSync(), shape, features as number);
  const checkedLengths = checkLengths({ batched: true, batchSize, seqLen }, lengths);
  return { batchSize, seqLen, ...(checkedLengths && { lengths: checkedLengths }) };
}

/** Every id an integer in `[0, vocabulary)`, or an error naming the first other's position (`input[1, 3]`). */
export function checkIds(values: ArrayLike<number>, shape: number[], vocabulary: number, argument = 'input'): void {
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabulary) {
      throw new ArgumentError(`${argument}${formatShape(unravelIndex(shape, i))}`, `a token id in [0, ${vocabulary}) (the Embedding's rows)`, String(id));
    }
  }
}
