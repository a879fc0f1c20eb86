import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
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
import { buildTwinModel } from './twin';

/** Options of `predict`. */
export interface PredictOptions {
  /**
   * `[N]` valid steps of each sequence: every recurrent layer runs as over
   * `pack_padded_sequence(…, enforce_sorted=False)`, selections use each sequence's valid steps.
   */
  lengths?: SequenceLengths;
}

/**
 * A whole model from a spec and a state_dict, run in eval mode (inference): the spec checked,
 * every layer bound to its weights, the input checked before any work. Subclasses compute.
 */
abstract class WholeModel {
  readonly spec: CheckedModelSpec;
  /** Every layer bound to its weights (what it reads, takes and gives). */
  readonly bound: readonly BoundLayer[];
  private readonly lifecycle: Lifecycle;

  protected constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>, className: string) {
    this.spec = isCheckedSpec(spec) ? spec : checkModelSpec(spec);
    if (!isPlainObject(stateDict)) {
      throw new ArgumentError('stateDict', 'an object of host arrays ({shape, data}) keyed by parameter name', stateDict === null ? 'null' : typeof stateDict);
    }
    this.bound = bindModel(this.spec, stripWrapperPrefixes(stateDict).stateDict);
    this.lifecycle = new Lifecycle('model', className);
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
    return tf.tidy(() => this.compute(input, call));
  }

  /** The output of a checked call, inside `tidy`. */
  protected abstract compute(input: tf.Tensor, call: ModelCall): tf.Tensor;

  /** Frees what the model holds. */
  protected abstract release(): void;

  /** Frees every layer's tensors; every other method throws afterwards, and `dispose()` again does nothing. */
  dispose(): void {
    this.lifecycle.end(() => this.release());
  }

  protected checkLive(): void {
    this.lifecycle.check();
  }
}

function isCheckedSpec(spec: unknown): spec is CheckedModelSpec {
  return isPlainObject(spec) && typeof spec.inputKind === 'string' && Array.isArray(spec.layers) && typeof spec.batchFirst === 'boolean';
}

/**
 * A whole model written out on tf ops and the package's hand-written recurrences
 * (`ManualModel`), from a spec (`WholeModelSpec`, see `checkModelSpec`) and a state_dict
 * (`loadStateDict(path, { prefix: '' })`: the whole model's; DataParallel's `module.` and
 * `torch.compile`'s `_orig_mod.` prefixes are stripped). The model owns the loop over its
 * layers; each layer type (`layers/`) brings its own forward.
 */
export class ManualWholeModel extends WholeModel {
  private readonly layers: LayerForward[] = [];

  constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>) {
    super(spec, stateDict, 'ManualWholeModel');
    try {
      for (const bound of this.bound) this.layers.push(LAYER_TYPES[bound.layer.type].manual(bound));
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /**
   * Every layer's parameters keyed by their state_dict names (`embedding.weight`,
   * `gru.weight_ih_l0`, …), in the spec's order: `tf.Variable`s owned by this model, for
   * gradients (`tf.variableGrads`) and an optimizer. The model computes in eval mode (dropout off).
   */
  namedParameters(): Map<string, tf.Variable> {
    this.checkLive();
    return new Map(
      this.layers.flatMap((layer, index) => [...(layer.parameters ?? new Map<string, tf.Variable>())].map(([key, variable]) => [`${this.bound[index].layer.name}.${key}`, variable] as [string, tf.Variable])),
    );
  }

  protected compute(input: tf.Tensor, call: ModelCall): tf.Tensor {
    const { batchFirst, inputKind } = this.spec;
    const context: ForwardContext = { lengths: call.lengths, seqLen: call.seqLen };
    const batchMajor = batchFirst ? input : tf.transpose(input, inputKind === 'ids' ? [1, 0] : [1, 0, 2]);
    let flow: Flow = { kind: inputKind, tensor: batchMajor };
    for (const layer of this.layers) flow = layer.forward(flow, context);
    return flow.kind === 'sequence' && !batchFirst ? tf.transpose(flow.tensor, [1, 0, 2]) : flow.tensor;
  }

  /**
   * A stream over this model: token ids (or features) fed a few steps at a time, each call
   * continuing from the recurrent states the previous one ended in, as one call over the whole
   * sequence would. Unidirectional recurrent layers only; no lengths. The stream holds the
   * states; the model stays this one's (dispose the stream, then the model).
   */
  stream(): WholeModelStream {
    this.checkLive();
    const layers = this.layers.map((layer) => (layer.stream ? layer.stream() : layer));
    const { inputKind } = this.spec;
    let disposed = false;
    return {
      push: (input) => {
        if (disposed) throw new ArgumentError('stream', 'a WholeModelStream that was not disposed', 'a disposed one');
        this.checkLive();
        const call = checkModelInput({ ...this.spec, batchFirst: true }, this.bound[0], input, undefined);
        return tf.tidy(() => {
          let flow: Flow = { kind: inputKind, tensor: input };
          for (const layer of layers) flow = layer.forward(flow, { seqLen: call.seqLen });
          return flow.tensor;
        });
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        layers.forEach((layer, index) => {
          if (layer !== this.layers[index]) layer.dispose();
        });
      },
    };
  }

  protected release(): void {
    this.layers.forEach((layer) => layer.dispose());
  }
}

/** What `ManualWholeModel.stream` returns. */
export interface WholeModelStream {
  /**
   * The model's output for the next steps `input` (batch-major whatever the spec's layout: ids
   * `[N, T]` int32, or features `[N, T, F]`), from the states the previous call left: `[N, T, F_out]`
   * per step (or `[N, F_out]` after a selection, over these steps only); owned by the caller.
   */
  push(input: tf.Tensor): tf.Tensor;
  /** Frees the stream's states. */
  dispose(): void;
}

/**
 * The tf.layers twin of a whole model: one `tf.LayersModel` (`buildTwinModel`) of
 * `tf.layers.embedding`, the package's recurrent Keras layers under Keras's mask, `dense`,
 * `layerNormalization`, activations and small registered layers for the selections, its
 * weights mapped from the state_dict. `save` writes it for `tf.loadLayersModel`.
 */
export class LayersWholeModel extends WholeModel {
  private readonly model: tfl.LayersModel;

  constructor(spec: WholeModelSpec | CheckedModelSpec, stateDict: Record<string, HostArray>) {
    super(spec, stateDict, 'LayersWholeModel');
    this.model = buildTwinModel(this.spec, this.bound);
  }

  protected compute(input: tf.Tensor, call: ModelCall): tf.Tensor {
    const lengths = call.lengths ? Float32Array.from(call.lengths) : new Float32Array(call.batchSize).fill(call.seqLen);
    return this.model.execute([input, tf.tensor2d(lengths, [lengths.length, 1])], this.model.outputs[0].name) as tf.Tensor;
  }

  /**
   * Saves the twin as a tfjs LayersModel to a URL (`'file://out'` in Node with the package
   * imported, `'indexeddb://name'`, …) or through an IOHandler (`tf.io.withSaveHandler`); the
   * spec is kept in its user-defined metadata under `'model spec'`.
   */
  async save(handlerOrUrl: tf.io.IOHandler | string): Promise<tf.io.SaveResult> {
    this.checkLive();
    this.model.setUserDefinedMetadata({ [SPEC_METADATA_KEY]: specJson(this.spec) });
    return this.model.save(handlerOrUrl);
  }

  protected release(): void {
    this.model.dispose();
  }
}

/** Where a saved twin keeps its spec. */
export const SPEC_METADATA_KEY = 'model spec';

/** A checked spec back as the JSON it came from (every field filled in). */
export function specJson(spec: CheckedModelSpec): WholeModelSpec {
  return { batch_first: spec.batchFirst, layers: spec.layers.map(({ type, name, options }) => ({ type, ...(name !== undefined && { name }), ...options })) };
}
