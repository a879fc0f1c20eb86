import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors';
import { fileIOHandler } from './modelFiles';

/**
 * `file://` URLs for `tf.loadLayersModel` and `model.save` in Node without tfjs-node, registered
 * when the Node entry is imported (a side effect: package.json `sideEffects`). The path after
 * `file://` is a file path as tfjs-node takes it, not URL-decoded (`file:///abs/model.json`,
 * `file://./model`, relative to the working directory); `fileIOHandler` reads and writes the
 * files (a model.json path, or a folder holding `model.json`). Each router answers only when no
 * other router claims the URL, whenever that one was registered (tfjs-node's, before or after
 * this module), so tfjs never finds two handlers and another's always wins.
 */

const FILE_SCHEME = 'file://';

/** Set while a router asks tfjs for the other handlers of a URL (tfjs then asks this router again). */
let askingOthers = false;

/** The handler of `url` when it is a `file://` URL that `others` (every router's answer) leaves to this package, else null. */
function route(url: string | string[], others: () => tf.io.IOHandler[], options: tf.io.LoadOptions | undefined): tf.io.IOHandler | null {
  if (typeof url !== 'string' || !url.startsWith(FILE_SCHEME) || askingOthers) return null;
  askingOthers = true;
  try {
    if (others().length > 0) return null;
  } finally {
    askingOthers = false;
  }
  const path = url.slice(FILE_SCHEME.length);
  if (path === '') throw new ArgumentError('url', 'a file:// URL with a path (file:///abs/model.json, file://./model)', `'${url}'`);
  return fileIOHandler(path, { strict: options?.strict });
}

/** tfjs types a router as returning an IOHandler, but a router answers null for a URL it does not take (as tfjs's own do). */
type Router = Parameters<typeof tf.io.registerLoadRouter>[0];

tf.io.registerLoadRouter(((url: string | string[], options?: tf.io.LoadOptions) => route(url, () => tf.io.getLoadHandlers(url as string, options), options)) as Router);
tf.io.registerSaveRouter(((url: string | string[]) => route(url, () => tf.io.getSaveHandlers(url as string), undefined)) as Router);
