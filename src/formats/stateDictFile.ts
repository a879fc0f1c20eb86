import { extname } from 'path';
import { FormatError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { HostArray } from './hostArray';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, readRegularFile } from './regularFile';
import { StateDictFormat, parseStateDict, serializeStateDict } from './stateDict';

/** `state_dict` files on disk (Node only): the format is the file's extension. */

const EXTENSIONS = new Map<string, StateDictFormat>([
  ['.safetensors', 'safetensors'],
  ['.json', 'json'],
]);

/** The format of `path`, by its (case-insensitive) extension. */
function formatOf(path: string): StateDictFormat {
  const extension = extname(path).toLowerCase();
  const format = EXTENSIONS.get(extension);
  if (format === undefined) {
    throw new FormatError(path, `a file ending in ${[...EXTENSIONS.keys()].join(' or ')}`, extension === '' ? 'no extension' : `'${extension}'`);
  }
  return format;
}

/** The largest file of each format read. */
const MAX_BYTES: Record<StateDictFormat, number> = { safetensors: MAX_WEIGHTS_BYTES, json: MAX_JSON_BYTES };

/**
 * Reads a `state_dict` from a `.safetensors` (at most `MAX_WEIGHTS_BYTES`) or `.json` (at most
 * `MAX_JSON_BYTES`) regular file. Any problem with the file, including a missing one, is a
 * `FormatError` whose argument is `path`.
 */
export async function loadStateDict(path: string): Promise<Record<string, HostArray>> {
  const format = formatOf(path);
  return parseStateDict(readRegularFile(path, MAX_BYTES[format]), format, path);
}

/** Writes a `state_dict` to a `.safetensors` (F32) or `.json` file, atomically. */
export async function saveStateDict(path: string, tensors: Record<string, HostArray>): Promise<void> {
  await writeFileAtomic(path, serializeStateDict(tensors, formatOf(path)));
}
