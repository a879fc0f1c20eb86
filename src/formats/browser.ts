// The formats that need no file system: bytes in, bytes out (what the browser entry exports).
export * from './hostArray';
export * from './floatBits';
export * from './safetensors';
export * from './stateDictJson';
export * from './stateDict';
export * from './inferConfig';
export * from './tensors';
export * from './npy';
export * from './torchFile';
export * from './torchWriter';
export * from './detect';
export * from './modules';
