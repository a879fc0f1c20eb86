import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../../errors';
import { checkPositiveInteger, refuseDropout, stepInputSize, stepTensors } from './checks';

/**
 * The options of `LSTMProjectionCell`: those of `tf.layers.lstmCell` (read by tfjs's own
 * `LSTMCell`, so they mean the same), `recurrentActivation` defaulting to `'sigmoid'` as in
 * PyTorch, plus the projection's.
 */
export interface LSTMProjectionCellArgs extends Omit<tfl.LSTMCellLayerArgs, 'unitForgetBias' | 'dropoutFunc'> {
  /** P, the size of the projected state `h` and of the output: 1 ≤ P < `units`. */
  projectionUnits: number;
  /** Initializer of `projection_kernel`. @default 'glorotNormal' (as tfjs's kernels) */
  projectionInitializer?: tfl.LSTMCellLayerArgs['kernelInitializer'];
  projectionRegularizer?: tfl.LSTMCellLayerArgs['kernelRegularizer'];
  projectionConstraint?: tfl.LSTMCellLayerArgs['kernelConstraint'];
}

type TfjsLSTMCell = ReturnType<typeof tfl.layers.lstmCell>;
type TfjsSimpleRNNCell = ReturnType<typeof tfl.layers.simpleRNNCell>;

const CELL_NAME = 'LSTMProjectionCell';

/**
 * PyTorch's `nn.LSTM` step with `proj_size` P > 0, as a tf.layers RNN cell. Gate order i, f, c, o
 * (Keras's, which is PyTorch's i, f, g, o) in every weight's columns:
 *
 *     [i, f, g, o] = x·kernel + h·recurrentKernel + bias
 *     c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)
 *     h' = (σ(o) ⊙ tanh(c')) · projectionKernel
 *
 * (σ is `recurrentActivation`, tanh is `activation`.) Weights: `kernel` [inputSize, 4H],
 * `recurrent_kernel` [P, 4H], `bias` [4H], `projection_kernel` [H, P]. States `[h [batch, P],
 * c [batch, H]]` (Keras's LSTM order); the output is h'. No dropout.
 */
export class LSTMProjectionCell extends tfl.layers.RNNCell {
  /** @nocollapse */
  static className = CELL_NAME;
  readonly units: number;
  readonly projectionUnits: number;
  /** `[P, H]`: the projected h, then the cell state c. */
  readonly stateSize: number[];
  /** tfjs's own LSTMCell over the same options: it parses and serializes them; it holds no weights. */
  private readonly settings: TfjsLSTMCell;
  /** A SimpleRNNCell whose kernel options are the projection's: tfjs parses and serializes them. */
  private readonly projectionSettings: TfjsSimpleRNNCell;
  kernel: tfl.LayerVariable | null = null;
  recurrentKernel: tfl.LayerVariable | null = null;
  bias: tfl.LayerVariable | null = null;
  projectionKernel: tfl.LayerVariable | null = null;

  constructor(args: LSTMProjectionCellArgs) {
    const units = checkPositiveInteger('units', args.units);
    const projectionUnits = checkPositiveInteger('projectionUnits', args.projectionUnits);
    if (projectionUnits >= units) {
      throw new ConfigError('projectionUnits', `smaller than units (${units}), as PyTorch's proj_size`, String(projectionUnits));
    }
    refuseDropout(CELL_NAME, args);
    const { unitForgetBias } = args as { unitForgetBias?: unknown };
    if (unitForgetBias !== undefined && unitForgetBias !== null && unitForgetBias !== false) {
      throw new ConfigError('unitForgetBias', `false (${CELL_NAME} initialises the bias as biasInitializer says)`, String(unitForgetBias));
    }
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    this.units = units;
    this.projectionUnits = projectionUnits;
    this.stateSize = [projectionUnits, units];
    this.settings = tfl.layers.lstmCell({
      ...args,
      name: this.name,
      recurrentActivation: args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation,
    });
    this.projectionSettings = tfl.layers.simpleRNNCell({
      name: this.name,
      units: projectionUnits,
      kernelInitializer: args.projectionInitializer,
      kernelRegularizer: args.projectionRegularizer,
      kernelConstraint: args.projectionConstraint,
    });
  }

  build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const { units, projectionUnits, settings, projectionSettings } = this;
    const inputSize = stepInputSize(CELL_NAME, inputShape);
    this.kernel = this.addWeight(
      'kernel', [inputSize, 4 * units], undefined,
      settings.kernelInitializer, settings.kernelRegularizer, true, settings.kernelConstraint,
    );
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel', [projectionUnits, 4 * units], undefined,
      settings.recurrentInitializer, settings.recurrentRegularizer, true, settings.recurrentConstraint,
    );
    this.bias = settings.useBias
      ? this.addWeight('bias', [4 * units], undefined, settings.biasInitializer, settings.biasRegularizer, true, settings.biasConstraint)
      : null;
    this.projectionKernel = this.addWeight(
      'projection_kernel', [units, projectionUnits], undefined,
      projectionSettings.kernelInitializer, projectionSettings.kernelRegularizer, true, projectionSettings.kernelConstraint,
    );
    this.built = true;
  }

  /** `[x_t [batch, inputSize], h [batch, P], c [batch, H]]` → `[h', h', c']`. */
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, h, c] = stepTensors(CELL_NAME, inputs, 3);
      const { activation, recurrentActivation } = this.settings;
      let gates = tf.add(
        tf.matMul(x, (this.kernel as tfl.LayerVariable).read() as tf.Tensor2D),
        tf.matMul(h, (this.recurrentKernel as tfl.LayerVariable).read() as tf.Tensor2D),
      );
      if (this.bias !== null) gates = tf.add(gates, this.bias.read());
      const [i, f, g, o] = tf.split(gates, 4, 1);
      const nextCell = tf.add(
        tf.mul(recurrentActivation.apply(f), c),
        tf.mul(recurrentActivation.apply(i), activation.apply(g)),
      );
      const unprojected = tf.mul(recurrentActivation.apply(o), activation.apply(nextCell)) as tf.Tensor2D;
      const next = tf.matMul(unprojected, (this.projectionKernel as tfl.LayerVariable).read() as tf.Tensor2D);
      return [next, next, nextCell];
    });
  }

  /** tfjs LSTMCell's config of the same options, with this cell's name and the projection's options. */
  getConfig(): tf.serialization.ConfigDict {
    const projection = this.projectionSettings.getConfig();
    return {
      ...this.settings.getConfig(),
      ...super.getConfig(),
      projectionUnits: this.projectionUnits,
      projectionInitializer: projection.kernelInitializer,
      projectionRegularizer: projection.kernelRegularizer,
      projectionConstraint: projection.kernelConstraint,
    };
  }
}

tf.serialization.registerClass(LSTMProjectionCell);
