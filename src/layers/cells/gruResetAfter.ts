import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GRUResetAfterCell } from './gruResetAfterCell';

/** `tf.layers.gru`'s options (the RNN's and the cell's), `resetAfter` always true. */
export interface GRUResetAfterArgs extends Omit<tfl.GRULayerArgs, 'dropoutFunc'> {
  /** @default true */
  resetAfter?: boolean;
}

/**
 * Keras's `GRU(reset_after=True)` layer: `tf.RNN` over a `GRUResetAfterCell`, with `tf.layers.gru`'s
 * options, weights named and shaped as Keras's (`kernel`, `recurrent_kernel`, `bias` [2, 3H]).
 *
 * It is registered under Keras's class name `GRU`, so `tf.loadLayersModel` reads what
 * `tensorflowjs_converter` writes for a Keras `GRU`, alone or inside `Bidirectional`:
 * `fromConfig` builds this layer when the config says `reset_after: true`, and tfjs's own
 * `GRU` (`tf.layers.gru`, which computes the reset_after=False convention) otherwise, so
 * those models load exactly as without this package. Saved models keep the class name `GRU`
 * and `reset_after: true`, which Keras reads back.
 */
export class GRUResetAfter extends tfl.RNN {
  /** @nocollapse */
  static className = 'GRU';

  constructor(args: GRUResetAfterArgs) {
    super({ ...args, cell: new GRUResetAfterCell(args) });
  }

  /** @nocollapse */
  static fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const args = config as unknown as GRUResetAfterArgs;
    const layer = args.resetAfter === true ? new GRUResetAfter(args) : tfl.layers.gru(args);
    return layer as unknown as T;
  }
}

tf.serialization.registerClass(GRUResetAfter);
