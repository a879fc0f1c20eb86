import { ArgumentError } from '../errors';

/**
 * `bytes` as a `Uint8Array`: itself (a Node `Buffer` is one), or a view over an `ArrayBuffer`
 * (not a copy). Anything else is an `ArgumentError` naming `name`.
 */
export function asBytes(bytes: unknown, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  const actual = bytes === null || typeof bytes !== 'object' ? String(bytes) : (bytes.constructor?.name ?? 'an object');
  throw new ArgumentError(name, 'a Uint8Array or an ArrayBuffer', actual);
}
