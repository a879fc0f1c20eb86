import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LSTMProjectionCell, LSTMProjectionCellArgs } from './lstmProjectionCell';

/** The cell's options and the RNN's (`returnSequences`, `returnState`, `goBackwards`, …). */
export interface LSTMProjectionArgs extends LSTMProjectionCellArgs, Omit<tfl.RNNLayerArgs, 'cell'> {}

/**
 * `tf.RNN` over an `LSTMProjectionCell`, serialized flat (the cell's options beside the RNN's)
 * under the class name `LSTMProjection`. This is the form `tf.layers.bidirectional` takes:
 * it copies its layer through `getConfig`/`fromConfig` twice, and tfjs's `RNN.fromConfig`
 * replaces the nested cell config of a plain `tf.layers.rnn({cell})` by the cell itself on the
 * first copy, so the second fails for every cell, tfjs's own included.
 */
export class LSTMProjection extends tfl.RNN {
  /** @nocollapse */
  static className = 'LSTMProjection';

  constructor(args: LSTMProjectionArgs) {
    super({ ...args, cell: new LSTMProjectionCell(args) });
  }

  /** @nocollapse */
  static fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new LSTMProjection(config as unknown as LSTMProjectionArgs) as unknown as T;
  }
}

tf.serialization.registerClass(LSTMProjection);
