import * as tf from '@tensorflow/tfjs-core';
import { ModelSpecError } from '../errors';
import { HostArray } from '../formats/hostArray';
import { HostProduct, createHostProduct } from '../manual/engines/host/product';
import { BoundLayer, LAYER_TYPES } from '../model/layers';
import { manualRecurrentModel, recurrentConfig } from '../model/layers/recurrent';
import { CheckedModelSpec } from '../model/spec';
import { StreamingRNN } from '../streaming';

/**
 * What generation reads of a whole model (`ManualWholeModel`, `LayersWholeModel`): its checked
 * spec and bound layers, and the hand-written model's parameters as they are now
 * (`namedParameters`: changed by training since it was built).
 */
export interface WholeModelLayers {
  readonly spec: CheckedModelSpec;
  readonly bound: readonly BoundLayer[];
  namedParameters?(): Map<string, tf.Variable>;
}

/**
 * The bound layers with each parameter's current values: read once from the model's variables
 * when it has them (`namedParameters`, which throws for a disposed model), else as bound.
 */
function currentLayers(model: WholeModelLayers): BoundLayer[] {
  if (typeof model.namedParameters !== 'function') return [...model.bound];
  const variables = model.namedParameters();
  return model.bound.map((bound) => {
    const parameters = Object.fromEntries(
      Object.entries(bound.parameters).map(([key, array]): [string, HostArray] => {
        const variable = variables.get(`${bound.layer.name}.${key}`);
        return [key, variable === undefined ? array : { shape: array.shape, data: Float32Array.from(variable.dataSync() as Float32Array) }];
      }),
    );
    return { ...bound, parameters };
  });
}

/** Rows `[N, L, F]` (batch-major, flat) passing from one stage to the next. */
interface Rows {
  values: Float32Array;
  batchSize: number;
  steps: number;
  features: number;
}

/** One layer of the language model on host rows; recurrent stages carry their state from call to call. */
interface Stage {
  readonly recurrent: boolean;
  run(rows: Rows): Rows;
  dispose(): void;
}

const DISTRIBUTIONS = ['Softmax', 'LogSoftmax'];

/**
 * The layers of a language model, checked: an Embedding first, then per-step layers with at
 * least one RNN, LSTM or GRU, all unidirectional, and no selection, ending in a Linear to the
 * Embedding's V rows (the logits), optionally followed by a Softmax or LogSoftmax. Returns the
 * index of that Linear. Anything else is a `ModelSpecError` saying why.
 */
export function languageModelHead(model: WholeModelLayers): number {
  const { spec, bound } = model;
  const { layers } = spec;
  const why = 'a language model: a distribution over the Embedding\'s vocabulary at every step';
  if (spec.inputKind !== 'ids') throw new ModelSpecError('layers[0].type', `'Embedding' (${why}, fed back as token ids)`, `'${layers[0].type}'`);
  const selection = layers.find((layer) => LAYER_TYPES[layer.type].outputKind('sequence') !== 'sequence');
  if (selection !== undefined) {
    throw new ModelSpecError(`layers[${selection.index}].type`, `no selection (Last, FinalHidden, Mean, Max) in ${why}`, `'${selection.type}'`);
  }
  const recurrent = bound.filter(({ layer }) => LAYER_TYPES[layer.type].recurrent === true);
  if (recurrent.length === 0) throw new ModelSpecError('layers', `an RNN, LSTM or GRU in ${why}, whose state carries the text`, 'none');
  for (const layer of recurrent) {
    if (recurrentConfig(layer).bidirectional) {
      throw new ModelSpecError(layer.layer.label, 'a unidirectional layer (generation reads left to right; a reverse direction needs the whole text)', `bidirectional weights ('${layer.layer.name}.weight_ih_l0_reverse')`);
    }
  }
  const last = layers.length - 1;
  const head = DISTRIBUTIONS.includes(layers[last].type) ? last - 1 : last;
  const vocabulary = bound[0].inputFeatures as number;
  if (layers[head].type !== 'Linear') {
    throw new ModelSpecError(`layers[${head}].type`, `'Linear' to the ${vocabulary} logits (optionally followed by Softmax or LogSoftmax) last in ${why}`, `'${layers[head].type}'`);
  }
  const outputs = bound[head].output.features;
  if (outputs !== vocabulary) {
    throw new ModelSpecError(layers[head].label, `${vocabulary} outputs (the Embedding's rows: ${why})`, `${outputs} (${layers[head].name}.weight [${outputs}, ${bound[head].inputFeatures}])`);
  }
  return head;
}

/**
 * A language model run on host arrays, one call per chunk of tokens, the recurrent layers'
 * state carried from call to call (`StreamingRNN` on the hand-written recurrences with
 * `loop: 'host'`): `prompt` consumes `[N, P]` ids once, `next` one id per row; each returns
 * the logits `[N, V]` of the last step. The Embedding is a row lookup, each Linear a
 * `createHostProduct`, Dropout the identity (eval mode); other per-step layers (LayerNorm, the
 * activations) run their hand-written forward on tf ops. The final Softmax or LogSoftmax is
 * left out: it keeps the logits' order (the argmax), and sampling takes `softmax(z / T)` from
 * the logits. No tensor is made per token when every layer runs on the host.
 */
export class LanguageModelSteps {
  /** V: ids are in `[0, V)`, logits `[N, V]`. */
  readonly vocabulary: number;
  private readonly embedding: HostArray;
  private readonly stages: Stage[] = [];

  constructor(model: WholeModelLayers) {
    const head = languageModelHead(model);
    const layers = currentLayers(model);
    this.embedding = layers[0].parameters.weight;
    this.vocabulary = this.embedding.shape[0];
    try {
      for (const bound of layers.slice(1, head + 1)) this.stages.push(stageOf(bound));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /** Consumes prompts `ids` `[N, P]` (batch-major, flat, each in `[0, V)`) from the state so far; the logits after their last step `[N, V]`. */
  prompt(ids: Int32Array, batchSize: number): Float32Array {
    let rows = this.embed(ids, batchSize);
    const lastRecurrent = this.stages.map((stage) => stage.recurrent).lastIndexOf(true);
    this.stages.forEach((stage, index) => {
      rows = stage.run(rows);
      // Past the last recurrent layer only each sequence's last step matters.
      if (index === lastRecurrent && rows.steps > 1) rows = lastSteps(rows);
    });
    return rows.values;
  }

  /** One token per row, `ids` `[N]`; the logits of the step `[N, V]`. */
  next(ids: Int32Array): Float32Array {
    return this.prompt(ids, ids.length);
  }

  /** Frees the recurrent layers' models and the products' buffers. */
  dispose(): void {
    this.stages.splice(0).forEach((stage) => stage.dispose());
  }

  private embed(ids: Int32Array, batchSize: number): Rows {
    const [, features] = this.embedding.shape;
    const table = this.embedding.data;
    const values = new Float32Array(ids.length * features);
    ids.forEach((id, i) => values.set(table.subarray(id * features, (id + 1) * features), i * features));
    return { values, batchSize, steps: ids.length / batchSize, features };
  }
}

/** Each sequence's last step of `[N, L, F]` rows: `[N, 1, F]`. */
function lastSteps({ values, batchSize, steps, features }: Rows): Rows {
  const last = new Float32Array(batchSize * features);
  for (let n = 0; n < batchSize; n++) last.set(values.subarray(((n + 1) * steps - 1) * features, (n + 1) * steps * features), n * features);
  return { values: last, batchSize, steps: 1, features };
}

function stageOf(bound: BoundLayer): Stage {
  const { type } = bound.layer;
  if (LAYER_TYPES[type].recurrent === true) return recurrentStage(bound);
  if (type === 'Linear') return linearStage(bound);
  if (type === 'Dropout') return { recurrent: false, run: (rows) => rows, dispose: () => undefined };
  return tensorStage(bound);
}

/** An RNN, LSTM or GRU streamed on the host: a prompt as one chunk, a token as one step. */
function recurrentStage(bound: BoundLayer): Stage {
  const model = manualRecurrentModel(bound, { loop: 'host' });
  const stream = new StreamingRNN(model);
  const features = bound.output.features;
  return {
    recurrent: true,
    run(rows) {
      if (rows.steps === 1) return { ...rows, values: stream.step(rows.values), features };
      const chunk = tf.tensor3d(rows.values, [rows.batchSize, rows.steps, rows.features]);
      const output = stream.push(chunk);
      const values = Float32Array.from(output.dataSync() as Float32Array);
      tf.dispose([chunk, output]);
      return { ...rows, values, features };
    },
    dispose() {
      stream.dispose();
      model.dispose();
    },
  };
}

/** `nn.Linear` on the host: `x Wᵀ + b` per row (`createHostProduct`: float32 sums in the order of k). */
function linearStage({ parameters, output }: BoundLayer): Stage {
  const [outFeatures, inFeatures] = parameters.weight.shape;
  const weightsT = new Float32Array(inFeatures * outFeatures);
  const weight = parameters.weight.data;
  for (let j = 0; j < outFeatures; j++) for (let k = 0; k < inFeatures; k++) weightsT[k * outFeatures + j] = weight[j * inFeatures + k];
  let product: HostProduct | undefined = createHostProduct({ weightsT, rows: outFeatures, columns: inFeatures, bias: parameters.bias?.data });
  return {
    recurrent: false,
    run(rows) {
      const count = rows.batchSize * rows.steps;
      return { ...rows, values: (product as HostProduct).multiply(rows.values, 0, count).slice(0, count * output.features), features: output.features };
    },
    dispose() {
      product?.release();
      product = undefined;
    },
  };
}

/** Any other per-step layer: its hand-written forward on tf ops over `[N, L, F]`. */
function tensorStage(bound: BoundLayer): Stage {
  const layer = LAYER_TYPES[bound.layer.type].manual(bound);
  return {
    recurrent: false,
    run(rows) {
      const output = tf.tidy(() => layer.forward({ kind: 'sequence', tensor: tf.tensor3d(rows.values, [rows.batchSize, rows.steps, rows.features]) }, { seqLen: rows.steps }).tensor);
      const values = Float32Array.from(output.dataSync() as Float32Array);
      output.dispose();
      return { ...rows, values, features: output.shape[2] as number };
    },
    dispose: () => layer.dispose(),
  };
}
