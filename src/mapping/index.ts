export * from './kerasWeights';
export * from './mapping';
export * from './copy';
