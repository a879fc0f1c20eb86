import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../errors';
import { checkPositiveInteger, refuseDropout, stepInputSize, stepTensors } from './checks';

/**
 * The options of `GRUResetAfterCell`: those of `tf.layers.gruCell`, read by tfjs's own `GRUCell`
 * so they mean the same (identifiers, initializers, regularizers, constraints, their serialized
 * forms), except `recurrentActivation`, which defaults to `'sigmoid'` as in Keras 2 and PyTorch.
 */
export interface GRUResetAfterCellArgs extends Omit<tfl.GRUCellLayerArgs, 'resetAfter' | 'dropoutFunc'> {
  /** Always true (the only convention this cell computes); present in Keras configs. @default true */
  resetAfter?: boolean;
}

type TfjsGRUCell = ReturnType<typeof tfl.layers.gruCell>;

const CELL_NAME = 'GRUResetAfterCell';

/**
 * Keras's `GRUCell(reset_after=True)`, which is PyTorch's `nn.GRU` step, as a tf.layers RNN cell
 * (tfjs's `GRUCell` refuses `resetAfter: true`). Gate order z, r, h in every weight's columns:
 *
 *     z  = σ(x·K_z + b_in_z + h·R_z + b_rec_z)
 *     r  = σ(x·K_r + b_in_r + h·R_r + b_rec_r)
 *     hh = tanh(x·K_h + b_in_h + r ⊙ (h·R_h + b_rec_h))
 *     h' = z ⊙ h + (1 − z) ⊙ hh
 *
 * (σ is `recurrentActivation`, tanh is `activation`.) Weights, with Keras's names and shapes:
 * `kernel` [inputSize, 3H], `recurrent_kernel` [H, 3H], `bias` [2, 3H] (row 0 the input bias,
 * row 1 the recurrent bias). One state `[batch, H]`. No dropout.
 */
export class GRUResetAfterCell extends tfl.layers.RNNCell {
  /** @nocollapse */
  static className = CELL_NAME;
  readonly units: number;
  readonly stateSize: number;
  /** tfjs's own GRUCell over the same options: it parses and serializes them; it holds no weights. */
  private readonly settings: TfjsGRUCell;
  kernel: tfl.LayerVariable | null = null;
  recurrentKernel: tfl.LayerVariable | null = null;
  bias: tfl.LayerVariable | null = null;

  constructor(args: GRUResetAfterCellArgs) {
    const units = checkPositiveInteger('units', args.units);
    refuseDropout(CELL_NAME, args);
    if (args.resetAfter !== undefined && args.resetAfter !== true) {
      throw new ConfigError('resetAfter', `true (${CELL_NAME} is the reset_after=True GRU)`, String(args.resetAfter));
    }
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    this.units = units;
    this.stateSize = units;
    this.settings = tfl.layers.gruCell({
      ...args,
      name: this.name,
      recurrentActivation: args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation,
      resetAfter: false,
    });
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const { units, settings } = this;
    const inputSize = stepInputSize(CELL_NAME, inputShape);
    this.kernel = this.addWeight(
      'kernel', [inputSize, 3 * units], undefined,
      settings.kernelInitializer, settings.kernelRegularizer, true, settings.kernelConstraint,
    );
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel', [units, 3 * units], undefined,
      settings.recurrentInitializer, settings.recurrentRegularizer, true, settings.recurrentConstraint,
    );
    this.bias = settings.useBias
      ? this.addWeight('bias', [2, 3 * units], undefined, settings.biasInitializer, settings.biasRegularizer, true, settings.biasConstraint)
      : null;
    this.built = true;
  }

  /** `[x_t [batch, inputSize], h [batch, H]]` → `[h', h']`. */
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, h] = stepTensors(CELL_NAME, inputs, 2);
      const { activation, recurrentActivation } = this.settings;
      let inputPart = tf.matMul(x, (this.kernel as tfl.LayerVariable).read() as tf.Tensor2D);
      let recurrentPart = tf.matMul(h, (this.recurrentKernel as tfl.LayerVariable).read() as tf.Tensor2D);
      if (this.bias !== null) {
        const [inputBias, recurrentBias] = tf.unstack(this.bias.read());
        inputPart = tf.add(inputPart, inputBias);
        recurrentPart = tf.add(recurrentPart, recurrentBias);
      }
      const [xZ, xR, xH] = tf.split(inputPart, 3, 1);
      const [hZ, hR, hH] = tf.split(recurrentPart, 3, 1);
      const z = recurrentActivation.apply(tf.add(xZ, hZ));
      const r = recurrentActivation.apply(tf.add(xR, hR));
      const candidate = activation.apply(tf.add(xH, tf.mul(r, hH)));
      const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      return [next, next];
    });
  }

  /** tfjs GRUCell's config of the same options, with this cell's name and `resetAfter: true`. */
  getConfig(): tf.serialization.ConfigDict {
    return { ...this.settings.getConfig(), ...super.getConfig(), resetAfter: true };
  }
}

tf.serialization.registerClass(GRUResetAfterCell);
