// The browser entry (package.json `exports` › `browser`): the Node entry without what needs a
// file system or Node itself (state_dict files, atomic writes, .npz, tfjs-node, the CLI).
export * from './config';
export * from './errors';
export * from './backend/browser';
export { ForwardOptions, InitialState, RNNOutput, RecurrentModel, SequenceLengths, stateShapes } from './shapes';
export * from './manual';
export * from './layers';
export * from './mapping';
export * from './formats/browser';
export * from './compare';
export * from './training';
export * from './streaming';
export * from './model';
export * from './generate';
