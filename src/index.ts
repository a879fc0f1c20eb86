// The Node entry: the shared surface (`api.ts`), backends with tfjs-node when installed, and
// state_dict files on disk.
import './backend/register';
export * from './api';
export { BACKEND_ENV, availableBackends, initBackend } from './backend/backend';
export { loadStateDict, saveStateDict } from './formats/stateDictFile';
