import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '../errors';
import { HostArray } from '../formats/hostArray';
import { isPlainObject } from '../formats/isPlainObject';
import { stripWrapperPrefixes } from '../formats/modules';
import { Lifecycle, SequenceLengths } from '../shapes';
import { bindModel } from './bind';
import { Flow, ForwardContext } from './flow';
import { ModelCall, checkModelInput } from './input';
import { BoundLayer, LAYER_TYPES, LayerForward } from './layers';
import { CheckedModelSpec, WholeModelSpec, checkModelSpec } from './spec';

/** Options of `predict`. */
export interface PredictOptions {
  /**
   * `[N]` valid steps of each sequence: every recurrent layer runs as over
   * `pack_padded_sequence(…, enforce_sorted=False)`, selections use each sequence's valid steps.
   */
  lengths?: SequenceLengths;
}

/** Which forward each layer type gives: hand-written (`manual`) or the tf.layers twin (`twin`). */
type Implementation = 'manual' | 'twin';

/**
 * A whole model from a spec and a state_dict, run in eval mode (inference). The model owns
 * the loop over its layers; each layer type (`layers/`) brings its own forward.
 */
abstract class WholeModel {
  readonly spec: CheckedModelSpec;
  /** Every layer bound to its weights (what it reads, takes and gives). */
  readonly bound: readonly BoundLayer[];
  private readonly layers: LayerForward[];
  private readonly lifecycle: Lifecycle;

  protected constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>, implementation: Implementation, className: string) {
    this.spec = isCheckedSpec(spec) ? spec : checkModelSpec(spec);
    if (!isPlainObject(stateDict)) {
      throw new ArgumentError('stateDict', 'an object of host arrays ({shape, data}) keyed by parameter name', stateDict === null ? 'null' : typeof stateDict);
    }
    this.bound = bindModel(this.spec, stripWrapperPrefixes(stateDict).stateDict);
    this.lifecycle = new Lifecycle('model', className);
    this.layers = [];
    try {
      for (const bound of this.bound) this.layers.push(LAYER_TYPES[bound.layer.type][implementation](bound));
    } catch (error) {
      this.layers.forEach((layer) => layer.dispose());
      throw error;
    }
  }

  /**
   * The model's output for `input`: token ids `[N, L]` int32 (`[L, N]` time-major) when the
   * first layer is an Embedding, else float32 `[N, L, F]` (`[L, N, F]`). Returns what the last
   * layer gives: per step `[N, L, F_out]` (`[L, N, F_out]` time-major), or per sequence
   * `[N, F_out]` after a selection; owned by the caller.
   */
  predict(input: tf.Tensor, options: PredictOptions = {}): tf.Tensor {
    this.lifecycle.check();
    const call = checkModelInput(this.spec, this.bound[0], input, options.lengths);
    return tf.tidy(() => this.run(input, call));
  }

  private run(input: tf.Tensor, call: ModelCall): tf.Tensor {
    const { batchFirst, inputKind } = this.spec;
    const context: ForwardContext = { lengths: call.lengths, seqLen: call.seqLen };
    const batchMajor = batchFirst ? input : tf.transpose(input, inputKind === 'ids' ? [1, 0] : [1, 0, 2]);
    let flow: Flow = { kind: inputKind, tensor: batchMajor };
    for (const layer of this.layers) flow = layer.forward(flow, context);
    return flow.kind === 'sequence' && !batchFirst ? tf.transpose(flow.tensor, [1, 0, 2]) : flow.tensor;
  }

  /** Frees every layer's tensors; every other method throws afterwards, and `dispose()` again does nothing. */
  dispose(): void {
    this.lifecycle.end(() => this.layers.forEach((layer) => layer.dispose()));
  }
}

function isCheckedSpec(spec: unknown): spec is CheckedModelSpec {
  return isPlainObject(spec) && typeof spec.inputKind === 'string' && Array.isArray(spec.layers) && typeof spec.batchFirst === 'boolean';
}

/**
 * A whole model written out on tf ops and the package's hand-written recurrences
 * (`ManualModel`), from a spec (`WholeModelSpec`, see `checkModelSpec`) and a state_dict
 * (`loadStateDict(path, { prefix: '' })`: the whole model's; DataParallel's `module.` and
 * `torch.compile`'s `_orig_mod.` prefixes are stripped).
 */
export class ManualWholeModel extends WholeModel {
  constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>) {
    super(spec, stateDict, 'manual', 'ManualWholeModel');
  }
}

/**
 * The tf.layers twin of a whole model: `tf.layers.embedding`, the package's recurrent
 * `LayersModel`s, `dense`, `layerNormalization`, activations and the registered
 * `SequenceReduction` for the selections, weights mapped from the state_dict.
 */
export class LayersWholeModel extends WholeModel {
  constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>) {
    super(spec, stateDict, 'twin', 'LayersWholeModel');
  }
}
