export * from './sequence';
export * from './model';
export * from './dropout';
export * from './lengths';
export * from './lifecycle';
export * from './state';
