import { ArgumentError } from '../errors';
import type { StateDictOptions } from './stateDict';

/** Checks `options`' type and its strings, naming the option and the actual JS type. */
export function checkStateDictOptions<T extends StateDictOptions & { source?: string }>(options: T): T {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ArgumentError('options', "an object such as { prefix: 'lstm' }", options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options);
  }
  for (const name of ['source', 'key', 'prefix'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'string') throw new ArgumentError(name, 'a string', value === null ? 'null' : typeof value);
  }
  return options;
}
