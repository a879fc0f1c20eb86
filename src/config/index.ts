export * from './config';
export * from './parameters';
