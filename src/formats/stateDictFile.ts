import { promises as fs } from 'fs';
import { extname } from 'path';
import { FormatError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { HostArray } from './hostArray';
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

/**
 * Reads a `state_dict` from a `.safetensors` or `.json` file. Any problem with the file,
 * including a missing one, is a `FormatError` whose argument is `path`.
 */
export async function loadStateDict(path: string): Promise<Record<string, HostArray>> {
  const format = formatOf(path);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FormatError(path, 'a readable file', code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
  return parseStateDict(bytes, format, path);
}

/** Writes a `state_dict` to a `.safetensors` (F32) or `.json` file, atomically. */
export async function saveStateDict(path: string, tensors: Record<string, HostArray>): Promise<void> {
  await writeFileAtomic(path, serializeStateDict(tensors, formatOf(path)));
}
