import { extname } from 'path';
import { ArgumentError, FormatError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { DETECT_BYTES, detectStateDictFormat } from './detect';
import { HostArray } from './hostArray';
import { MAX_JSON_BYTES, MAX_WEIGHTS_BYTES, OpenFile, openFile, readRegularFile } from './regularFile';
import { chooseModule } from './modules';
import { StateDictFormat, StateDictOptions, parseStateDict, serializeStateDict } from './stateDict';
import { checkStateDictOptions } from './stateDictOptions';
import { readTorchFile } from './torchFile';

/**
 * `state_dict` files on disk (Node only): read as their content says, whatever their name
 * (`detectStateDictFormat`); written as their extension says.
 */

/** The extensions `saveStateDict` writes each format for. */
const EXTENSIONS: Record<StateDictFormat, string[]> = { pt: ['.pt', '.pth', '.bin'], safetensors: ['.safetensors'], json: ['.json'] };

/** The format `saveStateDict` writes to `path`, by its (case-insensitive) extension. */
function formatOf(path: string): StateDictFormat {
  const extension = extname(path).toLowerCase();
  const format = (Object.keys(EXTENSIONS) as StateDictFormat[]).find((name) => EXTENSIONS[name].includes(extension));
  if (format === undefined) {
    const all = Object.values(EXTENSIONS).flat();
    throw new FormatError(path, `a file ending in ${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`, extension === '' ? 'no extension' : `'${extension}'`);
  }
  return format;
}

/** The largest file of each format read whole (PyTorch's are read by random access). */
const MAX_BYTES: Record<Exclude<StateDictFormat, 'pt'>, number> = { safetensors: MAX_WEIGHTS_BYTES, json: MAX_JSON_BYTES };

/**
 * The format of the regular file `path`, by its content and then its extension
 * (`detectStateDictFormat`), and random access to it; the caller closes it.
 */
export function openStateDictFile(path: string): { format: StateDictFormat; file: OpenFile } {
  const file = openFile(path);
  try {
    const head = file.read(0, Math.min(file.length, DETECT_BYTES));
    return { format: detectStateDictFormat(head, file.length, extname(path).toLowerCase(), path), file };
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Reads a `state_dict` from a file of any name, told by its content: PyTorch's `torch.save`
 * (`.pt`, `.pth`, `.bin`, …: read with random access, a large file never whole; a checkpoint's
 * state_dict found as `readTorchFile` says, or `options.key`'s, a dotted path for nested
 * dicts), safetensors (at most `MAX_WEIGHTS_BYTES`) or JSON (at most `MAX_JSON_BYTES`); then
 * chooses a module of it: `options.prefix`'s, or the only recurrent one (see
 * `StateDictOptions`). Any problem with the file, including a missing one, is a `FormatError`
 * whose argument is `path`; a key for another format is an `ArgumentError`; a prefix that names
 * no module is a `PrefixError` listing those there are.
 */
export async function loadStateDict(path: string, options: StateDictOptions = {}): Promise<Record<string, HostArray>> {
  const { key, prefix } = checkStateDictOptions(options);
  const { format, file } = openStateDictFile(path);
  try {
    if (format === 'pt') return chooseModule(readTorchFile(file, path, { key }).tensors, prefix);
    if (key !== undefined) throw new ArgumentError('key', 'a PyTorch file, whose checkpoint entry it names', `${path}, a ${format} file`);
    return parseStateDict(readRegularFile(path, MAX_BYTES[format]), format, { source: path, prefix });
  } finally {
    file.close();
  }
}

/** Writes a `state_dict` to a `.pt`/`.pth`/`.bin` (torch.save's format), `.safetensors` (F32) or `.json` file, atomically. */
export async function saveStateDict(path: string, tensors: Record<string, HostArray>): Promise<void> {
  await writeFileAtomic(path, serializeStateDict(tensors, formatOf(path)));
}
