// The Node entry: the shared surface (`api.ts`), backends with tfjs-node when installed,
// state_dict files on disk, and `file://` model folders for tf.loadLayersModel and model.save.
import './backend/register';
import './formats/fileRouter';
export * from './api';
export { BACKEND_ENV, availableBackends, initBackend } from './backend/backend';
export { loadStateDict, saveStateDict } from './formats/stateDictFile';
