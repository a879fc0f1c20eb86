export * from './tolerance';
export * from './compare';
