// The browser entry (package.json `exports` › `browser`): the Node entry without what needs a
// file system or Node itself (state_dict files, tfjs-node, the CLI).
import './backend/register';
export * from './api';
export { availableBackends, initBackend } from './backend/browser';
