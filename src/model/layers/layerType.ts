import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { WeightsError, formatShape } from '../../errors';
import { HostArray } from '../../formats/hostArray';
import { Flow, FlowKind, FlowShape, ForwardContext } from '../flow';
import type { CheckedLayer } from '../spec';

/** One field of a spec entry besides `type` and `name`: its check, and its default (none: required). */
export interface FieldSpec {
  check(value: unknown): boolean;
  /** What `check` accepts, for the error: `a number in [0, 1)`. */
  expected: string;
  default?: unknown;
}

/** A layer of a model bound to its weights: what it reads and gives. */
export interface BoundLayer {
  layer: CheckedLayer;
  /** Its parameters by their names inside the module (`weight`, `bias`, `weight_ih_l0`, …). */
  parameters: Record<string, HostArray>;
  /** Features it takes on its last axis (an Embedding: the vocabulary V, ids in `[0, V)`); undefined: any. */
  inputFeatures?: number;
  output: FlowShape;
}

/** A flow in the twin's graph: as `Flow`, of symbolic tensors (batch-major). */
export interface SymbolicFlow {
  kind: FlowKind;
  tensor: tfl.SymbolicTensor;
  finalHidden?: tfl.SymbolicTensor;
}

/** A layer type's part of the twin: its Keras layers applied to the flow, and their weights in Keras's order (owned: disposed once set). */
export interface TwinPart {
  flow: SymbolicFlow;
  weights: [tfl.layers.Layer, tf.Tensor[]][];
}

/** A layer's forward pass inside one model, holding its own tensors. */
export interface LayerForward {
  /** Runs inside the model's `tidy`. */
  forward(flow: Flow, context: ForwardContext): Flow;
  /**
   * A forward that carries its state from call to call (a recurrent layer's, on the package's
   * `StreamingRNN`), for a sequence fed a few steps at a time; the stateless forward otherwise.
   */
  stream?(): LayerForward;
  /** The hand-written forward's parameters by their names inside the module (`weight`, `weight_ih_l0`): variables, for gradients. */
  parameters?: Map<string, tf.Variable>;
  dispose(): void;
}

/**
 * One layer type of a spec, in one place: its fields, what it takes and gives, the parameters it
 * reads under its name, its forward on tf ops (`manual`) and its tf.layers twin with the weight
 * mapping (`twin`).
 */
export interface LayerType {
  readonly type: string;
  /** Whether entries name a module of the state_dict, whose parameters the layer reads. */
  readonly named: boolean;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly accepts: readonly FlowKind[];
  outputKind(input: FlowKind): FlowKind;
  /** Recurrent layers (they leave a final hidden state). */
  readonly recurrent?: boolean;
  /** Only right after a recurrent layer (`FinalHidden`). */
  readonly followsRecurrent?: boolean;
  /** Reads the layer's parameters (`module`: the state_dict's entries under its name, prefix removed) and its output shape. */
  bind(layer: CheckedLayer, input: FlowShape, module: Record<string, HostArray>): BoundLayer;
  /** The hand-written forward: tf ops (and the package's recurrences). */
  manual(bound: BoundLayer): LayerForward;
  /**
   * The tf.layers twin: its Keras layers (named from `name`, unique in the model) applied to the
   * symbolic flow, and their weights mapped from the parameters. Sequences carry Keras's mask.
   */
  twin(bound: BoundLayer, flow: SymbolicFlow, name: string): TwinPart;
  /** Throws a typed error when this tfjs cannot build the layer's twin; asked of every layer before any is built. */
  checkTwin?(bound: BoundLayer): void;
}

/** A layer type with no weights: the same forward either way but for `twin`. */
export function weightless(layer: CheckedLayer, input: FlowShape, outputKind: FlowKind, features = input.features): BoundLayer {
  return { layer, parameters: {}, output: { kind: outputKind, features } };
}

/**
 * The parameters `expected` (name → rank) of a module, checked: every one present with its
 * rank, no other key (as PyTorch's `load_state_dict(strict=True)`); `optional` names may be absent.
 */
export function moduleParameters(
  layer: CheckedLayer,
  module: Record<string, HostArray>,
  expected: Record<string, number>,
  optional: string[] = [],
): Record<string, HostArray> {
  const problems: string[] = [];
  const where = (key: string) => `${layer.name}.${key}`;
  for (const [key, rank] of Object.entries(expected)) {
    const parameter = Object.prototype.hasOwnProperty.call(module, key) ? module[key] : undefined;
    if (parameter === undefined) {
      if (!optional.includes(key)) problems.push(`missing key '${where(key)}'`);
    } else if (parameter.shape.length !== rank || parameter.shape.some((size) => size === 0)) {
      problems.push(`${where(key)}: expected ${rank}-D of positive sizes, got ${formatShape(parameter.shape)}`);
    }
  }
  for (const key of Object.keys(module)) {
    if (!(key in expected)) problems.push(`unexpected key '${where(key)}'`);
  }
  if (problems.length > 0) throw new WeightsError(problems.map((problem) => `${layer.label}: ${problem}`));
  return module;
}

/** A `WeightsError` about one layer. */
export function layerWeightsError(layer: CheckedLayer, problem: string): WeightsError {
  return new WeightsError([`${layer.label}: ${problem}`]);
}

/** A host array as a new trainable float32 variable (a hand-written layer's parameter). */
export function variableOf(array: HostArray): tf.Variable {
  return tf.tidy(() => tf.variable(tensorOf(array)));
}

/** The variables of a hand-written layer by parameter name, skipping absent ones. */
export function parameterMap(entries: Record<string, tf.Variable | undefined>): Map<string, tf.Variable> {
  return new Map(Object.entries(entries).filter((entry): entry is [string, tf.Variable] => entry[1] !== undefined));
}

/** A host array as a new float32 tensor. */
export function tensorOf(array: HostArray): tf.Tensor {
  return tf.tensor(array.data, array.shape, 'float32');
}

/** Field checks shared by layer types. */
export const FIELDS = {
  probability: (fallback: number): FieldSpec => ({
    check: (value) => typeof value === 'number' && value >= 0 && value <= 1,
    expected: 'a number in [0, 1]',
    default: fallback,
  }),
  positive: (fallback: number): FieldSpec => ({
    check: (value) => typeof value === 'number' && Number.isFinite(value) && value > 0,
    expected: 'a positive number',
    default: fallback,
  }),
  dim: (): FieldSpec => ({
    check: (value) => typeof value === 'number' && Number.isInteger(value),
    expected: 'an integer (the feature axis: -1)',
  }),
};
