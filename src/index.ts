export * from './config';
export * from './errors';
export * from './backend';
export { RNNOutput, RecurrentModel } from './shapes';
export * from './manual';
export * from './layers';
export * from './mapping';
export * from './formats';
export * from './compare';
