export * from './browser';
export * from './stateDictFile';
export * from './atomicWrite';
export * from './npz';
