export * from './browser';
export { loadStateDict, saveStateDict } from './stateDictFile';
export * from './atomicWrite';
export * from './npz';
