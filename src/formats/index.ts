export * from './hostArray';
export * from './floatBits';
export * from './safetensors';
export * from './stateDictJson';
export * from './stateDict';
export * from './atomicWrite';
export * from './tensors';
